package org.cvmagent.attestation.snp;

import org.cvmagent.attestation.attester.AttesterException;

/** Where SNP reports come from: configfs-tsm's sev_guest provider or the /dev/sev-guest ioctl. */
public interface SnpReportSource {
    /** Whether this way to the firmware exists on this guest. */
    boolean available();

    /** An extended report at VMPL 0 for 64 bytes of report data, with the certificate table when the host has one. */
    SnpRawReport report(byte[] reportData) throws AttesterException;
}
