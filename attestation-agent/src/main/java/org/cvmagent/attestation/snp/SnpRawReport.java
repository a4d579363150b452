package org.cvmagent.attestation.snp;

import java.util.Optional;

/** What the SNP firmware returned: the 0x4A0-byte report and, for extended reports, the host's certificate table. */
public record SnpRawReport(byte[] report, Optional<byte[]> certificateTable) {
}
