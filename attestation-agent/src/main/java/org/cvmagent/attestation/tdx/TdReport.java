package org.cvmagent.attestation.tdx;

import java.util.Optional;

/**
 * The TD report body of a quote: TDX 1.0 (584 bytes) or TDX 1.5 (648, adding tee_tcb_svn2 and
 * mr_servicetd). Measurements are 48-byte SHA-384 values.
 */
public record TdReport(byte[] tcbSvn, byte[] mrSeam, byte[] mrSignerSeam, byte[] seamAttributes,
        byte[] tdAttributes, byte[] xfam, byte[] mrTd, byte[] mrConfigId, byte[] mrOwner, byte[] mrOwnerConfig,
        byte[] rtmr0, byte[] rtmr1, byte[] rtmr2, byte[] rtmr3, byte[] reportData, Optional<byte[]> teeTcbSvn2,
        Optional<byte[]> mrServiceTd) {
    public static final int SIZE_TDX10 = 584;
    public static final int SIZE_TDX15 = 648;

    public byte[] rtmr(int i) {
        return switch (i) {
            case 0 -> rtmr0;
            case 1 -> rtmr1;
            case 2 -> rtmr2;
            case 3 -> rtmr3;
            default -> throw new IllegalArgumentException("RTMR index " + i + " (0-3)");
        };
    }
}
