package org.cvmagent.image.signature;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.cvmagent.image.signature.SignatureVerificationException.Reason;

/**
 * Reading protobuf's JSON mapping, as Sigstore bundles and trusted roots are written: bytes as
 * base64 (standard or URL-safe, padding optional), 64-bit integers as strings or numbers, field names
 * in lowerCamelCase (the original snake_case accepted too, as protobuf parsers do).
 */
final class ProtoJson {

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final Reason reason;
    private final String what;

    /** @param reason what a malformed document is (an invalid signature, or an invalid policy) */
    ProtoJson(Reason reason, String what) {
        this.reason = reason;
        this.what = what;
    }

    JsonNode parse(byte[] json) throws SignatureVerificationException {
        try {
            JsonNode node = JSON.readTree(json);
            if (node == null || !node.isObject()) {
                throw fail("is not a JSON object");
            }
            return node;
        } catch (IOException e) {
            throw fail("is not valid JSON");
        }
    }

    /** The field by its JSON name or its proto (snake_case) name; null when absent or null. */
    static JsonNode field(JsonNode node, String camel) {
        if (node == null || !node.isObject()) {
            return null;
        }
        JsonNode v = node.get(camel);
        if (v == null) {
            v = node.get(camel.replaceAll("([A-Z])", "_$1").toLowerCase(java.util.Locale.ROOT));
        }
        return v == null || v.isNull() ? null : v;
    }

    JsonNode object(JsonNode node, String name) throws SignatureVerificationException {
        JsonNode v = field(node, name);
        if (v == null || !v.isObject()) {
            throw fail("has no object " + name);
        }
        return v;
    }

    Optional<JsonNode> optionalObject(JsonNode node, String name) throws SignatureVerificationException {
        JsonNode v = field(node, name);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isObject()) {
            throw fail("field " + name + " is not an object");
        }
        return Optional.of(v);
    }

    List<JsonNode> array(JsonNode node, String name, int max) throws SignatureVerificationException {
        JsonNode v = field(node, name);
        if (v == null) {
            return List.of();
        }
        if (!v.isArray()) {
            throw fail("field " + name + " is not an array");
        }
        if (v.size() > max) {
            throw fail("field " + name + " has more than " + max + " entries");
        }
        List<JsonNode> out = new ArrayList<>();
        v.forEach(out::add);
        return out;
    }

    String string(JsonNode node, String name) throws SignatureVerificationException {
        return optionalString(node, name).orElseThrow(() -> fail("has no string " + name));
    }

    Optional<String> optionalString(JsonNode node, String name) throws SignatureVerificationException {
        JsonNode v = field(node, name);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isTextual()) {
            throw fail("field " + name + " is not a string");
        }
        return Optional.of(v.asText());
    }

    byte[] bytes(JsonNode node, String name) throws SignatureVerificationException {
        return optionalBytes(node, name).orElseThrow(() -> fail("has no " + name));
    }

    Optional<byte[]> optionalBytes(JsonNode node, String name) throws SignatureVerificationException {
        Optional<String> text = optionalString(node, name);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        try {
            String s = text.get().replace('-', '+').replace('_', '/');
            return Optional.of(Base64.getDecoder().decode(s));
        } catch (IllegalArgumentException e) {
            throw fail("field " + name + " is not base64");
        }
    }

    long int64(JsonNode node, String name) throws SignatureVerificationException {
        JsonNode v = field(node, name);
        if (v == null) {
            throw fail("has no integer " + name);
        }
        try {
            if (v.isIntegralNumber() && v.canConvertToLong()) {
                return v.asLong();
            }
            if (v.isTextual()) {
                return Long.parseLong(v.asText());
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw fail("field " + name + " is not an integer");
    }

    Optional<Instant> optionalTime(JsonNode node, String name) throws SignatureVerificationException {
        Optional<String> text = optionalString(node, name);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Instant.parse(text.get()));
        } catch (DateTimeParseException e) {
            throw fail("field " + name + " is not an RFC 3339 time");
        }
    }

    SignatureVerificationException fail(String message) {
        return new SignatureVerificationException(reason, what + " " + message);
    }
}
