package org.cvmagent.image.signature;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Digests of manifest bytes, as signatures name them. Only sha256 and sha512 are accepted: an
 * unknown algorithm cannot be checked, so it must not be trusted.
 */
public final class ManifestDigest {

    private static final Pattern SHA256 = Pattern.compile("sha256:[0-9a-f]{64}");
    private static final Pattern SHA512 = Pattern.compile("sha512:[0-9a-f]{128}");
    private static final ObjectMapper JSON = new ObjectMapper();

    private ManifestDigest() {}

    public static boolean isValid(String digest) {
        return SHA256.matcher(digest).matches() || SHA512.matcher(digest).matches();
    }

    /** The digest of {@code manifest} in {@code algorithm} ("sha256" or "sha512"). */
    public static String of(byte[] manifest, String algorithm) {
        String jca = switch (algorithm) {
            case "sha256" -> "SHA-256";
            case "sha512" -> "SHA-512";
            default -> throw new IllegalArgumentException("unsupported digest algorithm \"" + algorithm + "\"");
        };
        try {
            return algorithm + ":" + HexFormat.of().formatHex(MessageDigest.getInstance(jca).digest(manifest));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("JDK lacks " + jca, e);
        }
    }

    /**
     * Whether {@code manifest} has digest {@code expected}, computed in the expected digest's
     * algorithm. Docker schema-2 and OCI manifests are digested as the exact bytes; signed schema-1
     * manifests are refused rather than half-supported.
     */
    public static boolean matches(byte[] manifest, String expected) throws SignatureVerificationException {
        if (!isValid(expected)) {
            return false;
        }
        if (isSignedSchema1(manifest)) {
            throw SignatureVerificationException.invalidPolicy(
                    "signed Docker schema 1 manifests are not supported for signature verification");
        }
        return bytesMatch(manifest, expected);
    }

    /** Whether {@code data} (a blob, digested as its exact bytes) has digest {@code expected}. */
    public static boolean bytesMatch(byte[] data, String expected) {
        if (!isValid(expected)) {
            return false;
        }
        String algorithm = expected.substring(0, expected.indexOf(':'));
        return MessageDigest.isEqual(
                of(data, algorithm).getBytes(StandardCharsets.US_ASCII),
                expected.getBytes(StandardCharsets.US_ASCII));
    }

    /** Docker schema 1 manifests embed JWS signatures and are digested without them. */
    private static boolean isSignedSchema1(byte[] manifest) {
        JsonNode root;
        try {
            root = JSON.readTree(manifest);
        } catch (IOException e) {
            // Not JSON, so not schema 1: the digest of the exact bytes is what gets compared.
            return false;
        }
        return root != null && root.path("schemaVersion").asInt() == 1 && root.has("signatures");
    }
}
