package org.cvmagent.image.signature;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.util.Iterator;
import java.util.Set;

/**
 * The signed claim of a simple-signing or cosign signature:
 * {@code {"critical": {"type", "image": {"docker-manifest-digest"}, "identity": {"docker-reference"}}, "optional": {...}}}.
 * Parsed only after the signature over it verified; {@code critical} must have exactly the known
 * fields, since a field we do not understand there may restrict the claim in a way we would ignore.
 */
public record SigningPayload(String type, String manifestDigest, DockerReference dockerReference) {

    /** The {@code critical.type} of GPG simple signing. */
    public static final String SIMPLE_SIGNING_TYPE = "atomic container signature";
    /** The {@code critical.type} of cosign / sigstore payloads. */
    public static final String COSIGN_TYPE = "cosign container image signature";

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /**
     * @param expectedType {@link #SIMPLE_SIGNING_TYPE} or {@link #COSIGN_TYPE}
     * @throws SignatureVerificationException with reason INVALID_SIGNATURE when malformed
     */
    public static SigningPayload parse(byte[] payload, String expectedType) throws SignatureVerificationException {
        JsonNode root;
        try {
            root = JSON.readTree(payload);
        } catch (IOException e) {
            throw invalid("payload is not valid JSON");
        }
        exactFields(root, "payload", Set.of("critical", "optional"), Set.of("critical"));
        JsonNode optional = root.get("optional");
        // cosign writes "optional": null; simple signing always writes an object.
        boolean nullOptionalAllowed = expectedType.equals(COSIGN_TYPE);
        if (optional == null ? !nullOptionalAllowed
                : !(optional.isObject() || (optional.isNull() && nullOptionalAllowed))) {
            throw invalid("payload.optional must be an object");
        }
        JsonNode critical = root.get("critical");
        exactFields(critical, "critical", Set.of("type", "image", "identity"), Set.of("type", "image", "identity"));
        JsonNode image = critical.get("image");
        exactFields(image, "critical.image", Set.of("docker-manifest-digest"), Set.of("docker-manifest-digest"));
        JsonNode identity = critical.get("identity");
        exactFields(identity, "critical.identity", Set.of("docker-reference"), Set.of("docker-reference"));
        String type = text(critical, "type", "critical.type");
        if (!type.equals(expectedType)) {
            throw invalid("critical.type is \"" + type + "\", expected \"" + expectedType + "\"");
        }
        String digest = text(image, "docker-manifest-digest", "critical.image.docker-manifest-digest");
        if (!ManifestDigest.isValid(digest)) {
            throw invalid("critical.image.docker-manifest-digest \"" + digest + "\" is not a sha256 or sha512 digest");
        }
        String reference = text(identity, "docker-reference", "critical.identity.docker-reference");
        DockerReference ref;
        try {
            ref = DockerReference.parse(reference);
        } catch (IllegalArgumentException e) {
            throw invalid("critical.identity.docker-reference: " + e.getMessage());
        }
        return new SigningPayload(type, digest, ref);
    }

    private static void exactFields(JsonNode node, String where, Set<String> allowed, Set<String> required)
            throws SignatureVerificationException {
        if (node == null || !node.isObject()) {
            throw invalid(where + " must be a JSON object");
        }
        Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!allowed.contains(name)) {
                throw invalid(where + " has unknown field \"" + name + "\"");
            }
        }
        for (String name : required) {
            if (!node.has(name)) {
                throw invalid(where + " is missing \"" + name + "\"");
            }
        }
    }

    private static String text(JsonNode node, String field, String where) throws SignatureVerificationException {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw invalid(where + " must be a string");
        }
        return v.asText();
    }

    private static SignatureVerificationException invalid(String message) {
        return new SignatureVerificationException(SignatureVerificationException.Reason.INVALID_SIGNATURE, message);
    }
}
