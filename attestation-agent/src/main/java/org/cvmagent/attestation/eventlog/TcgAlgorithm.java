package org.cvmagent.attestation.eventlog;

import java.util.Optional;

/** TPM algorithm ids that appear in crypto-agile event logs, with Trustee's display names. */
public enum TcgAlgorithm {
    RSA(0x1, "RSA", 0, null),
    TDES(0x3, "TDES", 0, null),
    SHA1(0x4, "SHA-1", 20, "SHA-1"),
    SHA256(0xB, "SHA-256", 32, "SHA-256"),
    SHA384(0xC, "SHA-384", 48, "SHA-384"),
    SHA512(0xD, "SHA-512", 64, "SHA-512"),
    SM3(0x12, "SM3", 32, null);

    private final int id;
    private final String displayName;
    private final int digestSize;
    private final String jdkName;

    TcgAlgorithm(int id, String displayName, int digestSize, String jdkName) {
        this.id = id;
        this.displayName = displayName;
        this.digestSize = digestSize;
        this.jdkName = jdkName;
    }

    public static Optional<TcgAlgorithm> of(int id) {
        for (TcgAlgorithm a : values()) {
            if (a.id == id) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    /** The TPM_ALG_ID written before a digest in crypto-agile entries. */
    public int id() {
        return id;
    }

    public String displayName() {
        return displayName;
    }

    public int digestSize() {
        return digestSize;
    }

    /** The JDK MessageDigest name, empty for algorithms the JDK does not provide (SM3). */
    public Optional<String> jdkName() {
        return Optional.ofNullable(jdkName);
    }
}
