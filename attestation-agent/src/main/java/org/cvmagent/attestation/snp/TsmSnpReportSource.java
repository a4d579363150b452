package org.cvmagent.attestation.snp;

import java.util.OptionalInt;
import org.cvmagent.attestation.attester.AttesterException;
import org.cvmagent.attestation.tsm.TsmOutput;
import org.cvmagent.attestation.tsm.TsmReport;
import org.cvmagent.attestation.tsm.TsmReportException;

/**
 * SNP reports through configfs-tsm (provider {@code sev_guest}): outblob is the report, auxblob the
 * certificate table the host supplied (absent or empty when it supplied none). The request asks
 * for VMPL 0 through {@code privlevel}, as guest-components asks the ioctl for VMPL 0.
 */
public final class TsmSnpReportSource implements SnpReportSource {
    public static final String PROVIDER = "sev_guest";

    private final TsmReport tsm;

    public TsmSnpReportSource(TsmReport tsm) {
        this.tsm = tsm;
    }

    @Override
    public boolean available() {
        return tsm.provides(PROVIDER);
    }

    @Override
    public SnpRawReport report(byte[] reportData) throws AttesterException {
        try {
            TsmOutput out = tsm.generate(PROVIDER, reportData, OptionalInt.of(0));
            return new SnpRawReport(out.outblob(), out.auxblob().filter(a -> a.length > 0));
        } catch (TsmReportException e) {
            throw new AttesterException("SNP report via configfs-tsm: " + e.getMessage(), e);
        }
    }
}
