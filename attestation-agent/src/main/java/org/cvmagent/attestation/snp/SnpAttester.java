package org.cvmagent.attestation.snp;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import org.cvmagent.attestation.EvidenceFormatException;
import org.cvmagent.attestation.attester.Attester;
import org.cvmagent.attestation.attester.AttesterException;
import org.cvmagent.attestation.attester.InitDataBinding;
import org.cvmagent.attestation.attester.TeeType;

/**
 * AMD SEV-SNP evidence: an extended report at VMPL 0 for the report data, as
 * {@code {"attestation_report": <sev AttestationReport>, "cert_chain": [<CertTableEntry>] | null}}
 * — the {@code SnpEvidence} that guest-components' SNP attester writes and Trustee's SNP verifier
 * reads. Init-data is bound through HOST_DATA. SNP has no runtime measurement registers, so there
 * is no runtime event log here.
 */
public final class SnpAttester implements Attester, InitDataBinding {
    private static final int REPORT_DATA_SIZE = 64;
    private static final int REPORT_DATA_OFFSET = 0x50;
    private static final int HOST_DATA_OFFSET = 0xC0;
    private static final int HOST_DATA_SIZE = 32;

    private final SnpReportSource source;

    public SnpAttester(SnpReportSource source) {
        this.source = source;
    }

    public boolean detect() {
        return source.available();
    }

    @Override
    public TeeType tee() {
        return TeeType.SNP;
    }

    @Override
    public String evidence(byte[] reportData) throws AttesterException {
        if (reportData.length > REPORT_DATA_SIZE) {
            throw new AttesterException("SNP report data is at most " + REPORT_DATA_SIZE + " bytes, got "
                    + reportData.length);
        }
        byte[] padded = Arrays.copyOf(reportData, REPORT_DATA_SIZE);
        SnpRawReport raw = source.report(padded);
        byte[] actual = Arrays.copyOfRange(raw.report(), REPORT_DATA_OFFSET, REPORT_DATA_OFFSET + REPORT_DATA_SIZE);
        if (!MessageDigest.isEqual(actual, padded)) {
            throw new AttesterException("SNP report carries report data " + HexFormat.of().formatHex(actual)
                    + ", not the requested " + HexFormat.of().formatHex(padded));
        }
        try {
            ObjectNode evidence = JsonNodeFactory.instance.objectNode();
            evidence.set("attestation_report", SnpReportJson.of(raw.report()));
            if (raw.certificateTable().isPresent()) {
                evidence.set("cert_chain", SnpCertTable.parse(raw.certificateTable().get()).toJson());
            } else {
                evidence.putNull("cert_chain");
            }
            return evidence.toString();
        } catch (EvidenceFormatException e) {
            throw new AttesterException("SNP evidence: " + e.getMessage(), e);
        }
    }

    /** HOST_DATA against the digest zero-padded (or cut, as guest-components and Trustee do) to 32 bytes. */
    @Override
    public boolean initDataMatches(byte[] initDataDigest) throws IOException {
        SnpRawReport raw;
        try {
            raw = source.report(new byte[REPORT_DATA_SIZE]);
        } catch (AttesterException e) {
            throw new IOException("cannot read HOST_DATA: " + e.getMessage(), e);
        }
        byte[] hostData = Arrays.copyOfRange(raw.report(), HOST_DATA_OFFSET, HOST_DATA_OFFSET + HOST_DATA_SIZE);
        return MessageDigest.isEqual(Arrays.copyOf(initDataDigest, HOST_DATA_SIZE), hostData);
    }
}
