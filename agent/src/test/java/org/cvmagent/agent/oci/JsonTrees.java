package org.cvmagent.agent.oci;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Comparator;

/** Loads expected documents and compares JSON trees by value (object key order ignored). */
final class JsonTrees {

    /**
     * Jackson's node equality tells an IntNode from a LongNode of the same value; the expected
     * files are parsed into the smallest type, so numbers are compared by integral value here.
     */
    private static final Comparator<JsonNode> BY_VALUE = (a, b) -> {
        if (a.isIntegralNumber() && b.isIntegralNumber()) {
            return a.bigIntegerValue().compareTo(b.bigIntegerValue());
        }
        return a.equals(b) ? 0 : 1;
    };

    private final ObjectMapper mapper = new ObjectMapper();

    JsonNode resource(String name) {
        try (InputStream in = JsonTrees.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("test resource missing: " + name);
            }
            return mapper.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void assertSameTree(JsonNode expected, JsonNode actual) {
        assertTrue(expected.equals(BY_VALUE, actual), () -> "JSON differs\nexpected: "
                + expected.toPrettyString() + "\nactual:   " + actual.toPrettyString());
    }
}
