package org.cvmagent.attestation.tsm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Reports through the kernel's TEE-neutral interface (configfs-tsm,
 * Documentation/ABI/testing/configfs-tsm): one request directory per report; writing
 * {@code inblob} (the report data) and reading {@code outblob} yields the TEE's quote or report for
 * it, {@code auxblob} the provider's supplemental data (SNP's certificate table). The
 * {@code generation} counter tells whether another writer changed inblob meanwhile, in which case
 * the outblob may not be ours and the request fails rather than return someone else's evidence.
 */
public final class TsmReport {
    private final ConfigfsTsm tsm;

    public TsmReport(ConfigfsTsm tsm) {
        this.tsm = tsm;
    }

    /** Whether configfs-tsm is there and its provider is the wanted one ("tdx_guest", "sev_guest"). */
    public boolean provides(String provider) {
        if (!tsm.available()) {
            return false;
        }
        try {
            String request = tsm.createRequest();
            try {
                return provider.equals(provider(request));
            } finally {
                tsm.remove(request);
            }
        } catch (IOException | TsmReportException e) {
            // a tree we cannot make requests in provides nothing; generate() reports the cause
            return false;
        }
    }

    /**
     * One report: inblob in, outblob (and auxblob when the provider has one) out.
     *
     * @param privilegeLevel SNP's VMPL to report at; empty for providers without one
     */
    public TsmOutput generate(String provider, byte[] inblob, OptionalInt privilegeLevel) throws TsmReportException {
        if (inblob.length == 0) {
            throw new TsmReportException("configfs-tsm: empty inblob (report data)");
        }
        if (!tsm.available()) {
            throw new TsmReportException("configfs-tsm: " + tsm + " does not exist (a kernel without TSM reports, or "
                    + "configfs not mounted)");
        }
        String request;
        try {
            request = tsm.createRequest();
        } catch (IOException e) {
            throw new TsmReportException("configfs-tsm: cannot create a report request in " + tsm + ": " + e, e);
        }
        TsmReportException failure = null;
        try {
            return report(request, provider, inblob, privilegeLevel);
        } catch (TsmReportException e) {
            failure = e;
            throw e;
        } finally {
            try {
                tsm.remove(request);
            } catch (IOException e) {
                TsmReportException cleanup = new TsmReportException("configfs-tsm: cannot remove report request "
                        + request + ": " + e, e);
                if (failure != null) {
                    failure.addSuppressed(cleanup);
                } else {
                    throw cleanup;
                }
            }
        }
    }

    private TsmOutput report(String request, String provider, byte[] inblob, OptionalInt privilegeLevel)
            throws TsmReportException {
        String actual = provider(request);
        if (!provider.equals(actual)) {
            throw new TsmReportException("configfs-tsm: provider is " + actual + ", wanted " + provider);
        }
        if (privilegeLevel.isPresent()) {
            write(request, "privlevel", Integer.toString(privilegeLevel.getAsInt()).getBytes(StandardCharsets.US_ASCII));
        }
        write(request, "inblob", inblob);
        byte[] outblob = read(request, "outblob");
        Optional<byte[]> auxblob = tsm.has(request, "auxblob") ? Optional.of(read(request, "auxblob"))
                : Optional.empty();
        long generation = generation(request);
        if (generation != 1) {
            throw new TsmReportException("configfs-tsm: inblob was written " + generation
                    + " times while this report was made; the outblob may not be for our report data");
        }
        if (outblob.length == 0) {
            throw new TsmReportException("configfs-tsm: the provider returned an empty outblob");
        }
        return new TsmOutput(outblob, auxblob);
    }

    private String provider(String request) throws TsmReportException {
        return new String(read(request, "provider"), StandardCharsets.US_ASCII).strip();
    }

    private long generation(String request) throws TsmReportException {
        String text = new String(read(request, "generation"), StandardCharsets.US_ASCII).strip();
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new TsmReportException("configfs-tsm: generation is not a number: " + text, e);
        }
    }

    private byte[] read(String request, String attribute) throws TsmReportException {
        try {
            return tsm.read(request, attribute);
        } catch (IOException e) {
            throw new TsmReportException("configfs-tsm: cannot read " + attribute + ": " + e, e);
        }
    }

    private void write(String request, String attribute, byte[] value) throws TsmReportException {
        try {
            tsm.write(request, attribute, value);
        } catch (IOException e) {
            throw new TsmReportException("configfs-tsm: cannot write " + attribute + ": " + e, e);
        }
    }
}
