package org.cvmagent.attestation.tdx;

import java.io.IOException;

/**
 * The TD's measurement registers as the guest kernel exposes them: the RTMRs (read and extend)
 * and MRCONFIGID. Linux 6.16+ has them as sysfs files ({@link SysfsTdxRegisters}); older kernels
 * only through /dev/tdx_guest ({@link IoctlTdxRegisters}).
 */
public interface TdxRegisters {
    int REGISTER_SIZE = 48;

    byte[] rtmr(int index) throws IOException;

    /** Extends RTMR {@code index} with 48 bytes: RTMR = SHA-384(RTMR || data), done by the TDX module. */
    void extendRtmr(int index, byte[] data) throws IOException;

    byte[] mrConfigId() throws IOException;
}
