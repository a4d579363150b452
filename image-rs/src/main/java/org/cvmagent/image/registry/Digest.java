package org.cvmagent.image.registry;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** An OCI content digest ({@code sha256:<64 hex>} or {@code sha512:<128 hex>}), validated on creation. */
public record Digest(String algorithm, String hex) {
    private static final Pattern SHA256 = Pattern.compile("[a-f0-9]{64}");
    private static final Pattern SHA512 = Pattern.compile("[a-f0-9]{128}");

    public Digest {
        boolean valid = switch (algorithm) {
            case "sha256" -> SHA256.matcher(hex).matches();
            case "sha512" -> SHA512.matcher(hex).matches();
            default -> false;
        };
        // The hex is used as a directory name in the store: only a validated value may get there.
        if (!valid) {
            throw new IllegalArgumentException("invalid digest " + algorithm + ":" + hex);
        }
    }

    public static Digest parse(String text) {
        int colon = text.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("invalid digest " + text);
        }
        return new Digest(text.substring(0, colon), text.substring(colon + 1));
    }

    public static Digest sha256(byte[] data) {
        return new Digest("sha256", HexFormat.of().formatHex(messageDigest("sha256").digest(data)));
    }

    /** A fresh SHA-256 {@link MessageDigest}, for digests computed while streaming. */
    public static MessageDigest newSha256() {
        return messageDigest("sha256");
    }

    /** A fresh {@link MessageDigest} for this digest's algorithm. */
    public MessageDigest newMessageDigest() {
        return messageDigest(algorithm);
    }

    /** True when {@code computed} (the raw hash bytes) equals this digest. */
    public boolean matches(byte[] computed) {
        return MessageDigest.isEqual(HexFormat.of().parseHex(hex), computed);
    }

    private static MessageDigest messageDigest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm.equals("sha256") ? "SHA-256" : "SHA-512");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("JDK without " + algorithm, e);
        }
    }

    @Override
    public String toString() {
        return algorithm + ":" + hex;
    }
}
