package org.cvmagent.image.signature;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Strict access to one JSON object of a configuration file: every field is checked for type, and
 * a field the reader does not know is an error, because a misspelt security option silently
 * ignored would weaken the policy.
 */
final class JsonFields {

    private final JsonNode node;
    private final String where;

    JsonFields(JsonNode node, String where, Set<String> allowed) throws SignatureVerificationException {
        if (node == null || !node.isObject()) {
            throw SignatureVerificationException.invalidPolicy(where + " must be a JSON object");
        }
        this.node = node;
        this.where = where;
        Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!allowed.contains(name)) {
                throw SignatureVerificationException.invalidPolicy(
                        where + " has unknown field \"" + name + "\" (allowed: " + String.join(", ", allowed.stream().sorted().toList()) + ")");
            }
        }
    }

    boolean has(String field) {
        return node.has(field);
    }

    JsonNode raw(String field) {
        return node.get(field);
    }

    String where(String field) {
        return where + "." + field;
    }

    String requiredString(String field) throws SignatureVerificationException {
        return optionalString(field).orElseThrow(() -> SignatureVerificationException.invalidPolicy(
                where + " is missing required field \"" + field + "\""));
    }

    Optional<String> optionalString(String field) throws SignatureVerificationException {
        JsonNode v = node.get(field);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isTextual()) {
            throw SignatureVerificationException.invalidPolicy(where(field) + " must be a string");
        }
        if (v.asText().isEmpty()) {
            throw SignatureVerificationException.invalidPolicy(where(field) + " must not be empty");
        }
        return Optional.of(v.asText());
    }

    Optional<List<String>> optionalStringList(String field) throws SignatureVerificationException {
        JsonNode v = node.get(field);
        if (v == null) {
            return Optional.empty();
        }
        if (!v.isArray() || v.isEmpty()) {
            throw SignatureVerificationException.invalidPolicy(where(field) + " must be a non-empty array of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isTextual() || e.asText().isEmpty()) {
                throw SignatureVerificationException.invalidPolicy(where(field) + " must contain only non-empty strings");
            }
            out.add(e.asText());
        }
        return Optional.of(out);
    }

    /** A Go {@code []byte} field: standard base64 in JSON. */
    Optional<byte[]> optionalBase64(String field) throws SignatureVerificationException {
        Optional<String> text = optionalString(field);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(decode(text.get(), where(field)));
    }

    Optional<List<byte[]>> optionalBase64List(String field) throws SignatureVerificationException {
        Optional<List<String>> texts = optionalStringList(field);
        if (texts.isEmpty()) {
            return Optional.empty();
        }
        List<byte[]> out = new ArrayList<>();
        for (String t : texts.get()) {
            out.add(decode(t, where(field)));
        }
        return Optional.of(out);
    }

    private static byte[] decode(String text, String where) throws SignatureVerificationException {
        try {
            return Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw SignatureVerificationException.invalidPolicy(where + " is not valid base64");
        }
    }
}
