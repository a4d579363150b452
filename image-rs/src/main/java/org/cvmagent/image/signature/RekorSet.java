package org.cvmagent.image.signature;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.cvmagent.image.signature.SignatureVerificationException.Reason;

/**
 * Verifies a Rekor signed entry timestamp (the {@code dev.sigstore.cosign/bundle} annotation):
 * the transparency log's signature over the RFC 8785 canonical form of the entry, and that the
 * logged {@code hashedrekord} entry is this signature, over this payload, by this key or
 * certificate. Yields the time the log integrated the entry, the moment a short-lived Fulcio
 * certificate must have been valid.
 */
final class RekorSet {

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    /** Integers beyond this are not exactly representable in the canonical (ES6 number) form. */
    private static final long MAX_SAFE_INTEGER = (1L << 53) - 1;

    private RekorSet() {}

    /**
     * @param rekorKeys the trusted transparency log keys (ECDSA)
     * @param keyOrCertDer DER of the public key or certificate the logged entry must name
     * @param signature the signature the logged entry must contain
     * @param payload the signed payload whose SHA-256 the logged entry must contain
     */
    static Instant verify(List<PublicKey> rekorKeys, String bundleJson, byte[] keyOrCertDer, byte[] signature,
            byte[] payload) throws SignatureVerificationException {
        JsonNode bundle = parse(bundleJson.getBytes(StandardCharsets.UTF_8), "Rekor bundle");
        exactFields(bundle, "Rekor bundle", Set.of("SignedEntryTimestamp", "Payload"));
        byte[] set = base64(text(bundle, "SignedEntryTimestamp"), "SignedEntryTimestamp");
        JsonNode entry = bundle.get("Payload");
        exactFields(entry, "Rekor bundle Payload", Set.of("body", "integratedTime", "logIndex", "logID"));
        String body = text(entry, "body");
        long integratedTime = integer(entry, "integratedTime");
        long logIndex = integer(entry, "logIndex");
        String logId = text(entry, "logID");
        String canonical = "{\"body\":" + canonicalString(body) + ",\"integratedTime\":" + integratedTime
                + ",\"logID\":" + canonicalString(logId) + ",\"logIndex\":" + logIndex + "}";
        if (!signedByAny(rekorKeys, canonical.getBytes(StandardCharsets.UTF_8), set)) {
            throw invalid("Rekor signed entry timestamp was not made by a trusted Rekor key");
        }
        checkHashedRekord(parse(base64(body, "Rekor body"), "Rekor body"), keyOrCertDer, signature, payload);
        return Instant.ofEpochSecond(integratedTime);
    }

    private static void checkHashedRekord(JsonNode rekord, byte[] keyOrCertDer, byte[] signature, byte[] payload)
            throws SignatureVerificationException {
        if (!"hashedrekord".equals(rekord.path("kind").asText()) || !"0.0.1".equals(rekord.path("apiVersion").asText())) {
            throw invalid("Rekor entry is not a hashedrekord 0.0.1 entry");
        }
        JsonNode spec = rekord.path("spec");
        JsonNode sig = spec.path("signature");
        byte[] loggedSignature = base64(sig.path("content").asText(""), "Rekor signature.content");
        byte[] loggedKeyPem = base64(sig.path("publicKey").path("content").asText(""), "Rekor signature.publicKey");
        byte[] loggedKeyDer = singlePemDer(new String(loggedKeyPem, StandardCharsets.US_ASCII));
        if (!MessageDigest.isEqual(loggedKeyDer, keyOrCertDer)) {
            throw invalid("Rekor entry names a different key or certificate");
        }
        if (!MessageDigest.isEqual(loggedSignature, signature)) {
            throw invalid("Rekor entry holds a different signature");
        }
        JsonNode hash = spec.path("data").path("hash");
        if (!"sha256".equals(hash.path("algorithm").asText())) {
            throw invalid("Rekor entry hash algorithm is not sha256");
        }
        byte[] logged;
        try {
            logged = HexFormat.of().parseHex(hash.path("value").asText(""));
        } catch (IllegalArgumentException e) {
            throw invalid("Rekor entry hash is not hex");
        }
        byte[] actual;
        try {
            actual = MessageDigest.getInstance("SHA-256").digest(payload);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JDK lacks SHA-256", e);
        }
        if (!MessageDigest.isEqual(logged, actual)) {
            throw invalid("Rekor entry is for a different payload");
        }
    }

    /** The DER of the only PEM block in {@code pem}; anything around or after it is refused. */
    static byte[] singlePemDer(String pem) throws SignatureVerificationException {
        String trimmed = pem.strip();
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----").matcher(trimmed);
        if (!m.matches()) {
            throw invalid("expected exactly one PEM block");
        }
        try {
            return Base64.getMimeDecoder().decode(m.group(2));
        } catch (IllegalArgumentException e) {
            throw invalid("PEM block is not valid base64");
        }
    }

    static boolean signedByAny(List<PublicKey> keys, byte[] data, byte[] signature) {
        for (PublicKey key : keys) {
            try {
                Signature verifier = Signature.getInstance("SHA256withECDSA");
                verifier.initVerify(key);
                verifier.update(data);
                if (verifier.verify(signature)) {
                    return true;
                }
            } catch (GeneralSecurityException e) {
                // Not an ECDSA key or not a decodable signature for it: this key did not sign.
                continue;
            }
        }
        return false;
    }

    /** RFC 8785 string form: only '"', '\\' and control characters are escaped. */
    static String canonicalString(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    private static JsonNode parse(byte[] json, String what) throws SignatureVerificationException {
        try {
            JsonNode node = JSON.readTree(json);
            if (node == null || !node.isObject()) {
                throw invalid(what + " is not a JSON object");
            }
            return node;
        } catch (IOException e) {
            throw invalid(what + " is not valid JSON");
        }
    }

    private static void exactFields(JsonNode node, String what, Set<String> fields) throws SignatureVerificationException {
        if (node == null || !node.isObject()) {
            throw invalid(what + " is not a JSON object");
        }
        Iterator<String> names = node.fieldNames();
        int count = 0;
        while (names.hasNext()) {
            String name = names.next();
            if (!fields.contains(name)) {
                throw invalid(what + " has unknown field \"" + name + "\"");
            }
            count++;
        }
        if (count != fields.size()) {
            throw invalid(what + " must have exactly the fields " + fields);
        }
    }

    private static String text(JsonNode node, String field) throws SignatureVerificationException {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw invalid("Rekor bundle field " + field + " must be a string");
        }
        return v.asText();
    }

    private static long integer(JsonNode node, String field) throws SignatureVerificationException {
        JsonNode v = node.get(field);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong() || Math.abs(v.asLong()) > MAX_SAFE_INTEGER) {
            throw invalid("Rekor bundle field " + field + " must be an integer");
        }
        return v.asLong();
    }

    private static byte[] base64(String text, String what) throws SignatureVerificationException {
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw invalid(what + " is not valid base64");
        }
    }

    private static SignatureVerificationException invalid(String message) {
        return new SignatureVerificationException(Reason.INVALID_SIGNATURE, message);
    }
}
