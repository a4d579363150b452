package org.cvmagent.attestation.eventlog;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/** TPM algorithm ids that appear in crypto-agile event logs, with Trustee's display names. */
public enum TcgAlgorithm {
    RSA(0x1, "RSA", 0, null),
    TDES(0x3, "TDES", 0, null),
    SHA1(0x4, "SHA-1", 20, "SHA-1"),
    SHA256(0xB, "SHA-256", 32, "SHA-256"),
    SHA384(0xC, "SHA-384", 48, "SHA-384"),
    SHA512(0xD, "SHA-512", 64, "SHA-512"),
    SM3(0x12, "SM3", 32, "SM3");

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

    /**
     * A fresh digest for this algorithm, empty for the ids that are not hashes (RSA, TDES). SM3,
     * which the JDK lacks (Hygon CSV event logs use it), comes from BouncyCastle's implementation,
     * instantiated directly so that no provider needs registering.
     */
    public Optional<MessageDigest> newDigest() {
        if (this == SM3) {
            return Optional.of(new org.bouncycastle.jcajce.provider.digest.SM3.Digest());
        }
        if (jdkName == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(MessageDigest.getInstance(jdkName));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK provides " + jdkName, e);
        }
    }
}
