package org.cvmagent.attestation.tdx;

/**
 * The 48-byte quote header. For TDX the QE and PCE SVNs are reserved (four bytes), as Trustee
 * names them.
 */
public record QuoteHeader(int version, byte[] attKeyType, byte[] teeType, byte[] reserved, byte[] vendorId,
        byte[] userData) {
    public static final int SIZE = 48;
    /** tee_type of a TD quote (0x81), as opposed to SGX (0). */
    public static final int TEE_TYPE_TDX = 0x81;
}
