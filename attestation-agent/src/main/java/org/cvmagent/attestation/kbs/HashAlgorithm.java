package org.cvmagent.attestation.kbs;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Optional;

/**
 * The digests that bind runtime data into evidence, under the names of {@code kbs-types}'
 * {@code HashAlgorithm}. SM3 is not offered: the JDK has no provider for it.
 */
public enum HashAlgorithm {
    SHA256("sha256", "SHA-256"),
    SHA384("sha384", "SHA-384"),
    SHA512("sha512", "SHA-512");

    /** What the KBS protocol uses when the challenge selects nothing. */
    public static final HashAlgorithm DEFAULT = SHA384;

    private final String wireName;
    private final String jcaName;

    HashAlgorithm(String wireName, String jcaName) {
        this.wireName = wireName;
        this.jcaName = jcaName;
    }

    public String wireName() {
        return wireName;
    }

    public byte[] digest(byte[] material) {
        try {
            return MessageDigest.getInstance(jcaName).digest(material);
        } catch (NoSuchAlgorithmException e) {
            // Every JDK ships the SHA-2 family; its absence is a broken runtime, not an input error.
            throw new IllegalStateException(jcaName + " missing from the JDK", e);
        }
    }

    /** The algorithm with this wire name, compared case-insensitively as kbs-types does. */
    public static Optional<HashAlgorithm> fromWireName(String name) {
        return Arrays.stream(values()).filter(h -> h.wireName.equalsIgnoreCase(name)).findFirst();
    }
}
