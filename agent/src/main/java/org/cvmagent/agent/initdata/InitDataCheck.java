package org.cvmagent.agent.initdata;

import org.cvmagent.agent.config.StartConfig;
import org.cvmagent.agent.tee.DetectedTee;
import org.cvmagent.attestation.attester.InitDataBinding;

import java.io.IOException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The start-up check that binds init-data to the TEE, as guest-components' attestation agent does
 * for {@code BindInitData} but before anything is served: the digest of the exact init-data bytes,
 * padded with zeros (or cut) to the field's size, must equal the TEE's launch-time field (TDX
 * MRCONFIGID, 48 bytes; SNP HOST_DATA, 32 bytes). Otherwise the host could launch a TD measured with
 * its owner's init-data and hand the guest another one.
 *
 * <ul>
 *   <li>TEE with a launch field, init-data given: equal, or refused.</li>
 *   <li>TEE with a launch field, no init-data: the field must be zero (the owner launched without
 *       init-data), or refused: the owner's init-data was withheld.</li>
 *   <li>TEE without such a field (IBM SE) or the sample TEE: accepted, logged as unverified.</li>
 *   <li>No TEE: a confidential image refuses to serve unless it was built as a test image;
 *       development mode accepts, logged as unverified.</li>
 * </ul>
 */
public final class InitDataCheck {

    private static final System.Logger LOG = System.getLogger(InitDataCheck.class.getName());

    private InitDataCheck() {
    }

    /** @return a line saying how init-data was established, for the start-up log */
    public static String verify(StartConfig start, Optional<DetectedTee> tee, Optional<MeasuredInitData> initData)
            throws InitDataRejectedException {
        if (tee.isEmpty()) {
            if (start.confidential() && !start.testImage()) {
                throw new InitDataRejectedException("confidential image without a TEE (no TDX, SNP or Secure "
                        + "Execution device): refusing to serve");
            }
            String why = start.confidential() ? "a test image without a TEE" : "development mode without a TEE";
            return initData.map(d -> "init-data from " + d.origin() + " NOT verified (" + why + ")")
                    .orElse("no init-data (" + why + ")");
        }
        Optional<InitDataBinding> binding = tee.get().initDataBinding();
        if (tee.get() instanceof DetectedTee.Sample) {
            return initData.map(d -> "init-data from " + d.origin() + " NOT verified (the sample TEE of a test image)")
                    .orElse("no init-data (the sample TEE of a test image)");
        }
        if (binding.isEmpty()) {
            return initData.map(d -> "init-data from " + d.origin() + " not bound at launch (" + tee.get().name()
                    + " has no launch field for it; the KBS checks it in the evidence)")
                    .orElse("no init-data (" + tee.get().name() + ")");
        }
        try {
            if (initData.isEmpty()) {
                if (!binding.get().initDataMatches(new byte[0])) {
                    throw new InitDataRejectedException("the " + tee.get().name() + " launch field holds an init-data "
                            + "digest but no init-data arrived: refusing to serve without its owner's init-data");
                }
                return "no init-data (the " + tee.get().name() + " launch field is zero)";
            }
            byte[] digest = initData.get().digest();
            if (!binding.get().initDataMatches(digest)) {
                throw new InitDataRejectedException("init-data from " + initData.get().origin() + " ("
                        + initData.get().document().algorithm() + " " + HexFormat.of().formatHex(digest)
                        + ") does not match the " + tee.get().name() + " launch field: refusing to serve");
            }
        } catch (IOException e) {
            throw new InitDataRejectedException("cannot read the " + tee.get().name() + " launch field: "
                    + e.getMessage(), e);
        }
        String verified = "init-data from " + initData.get().origin() + " verified against the " + tee.get().name()
                + " launch field";
        LOG.log(System.Logger.Level.DEBUG, verified);
        return verified;
    }
}
