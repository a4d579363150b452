package org.cvmagent.agent.oci;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Small helpers shared by the section translators: omitempty-style puts, unsigned numbers and the
 * boundary checks that name the field.
 */
final class JsonWriter {

    private JsonWriter() {
    }

    /** Puts a string only when non-empty: proto3 cannot tell "unset" from "", runtime-spec omits. */
    static void putIfNotEmpty(ObjectNode node, String key, String value) {
        if (!value.isEmpty()) {
            node.put(key, value);
        }
    }

    /** Puts a string list in order, only when non-empty (runtime-spec omitempty). */
    static void putIfNotEmpty(ObjectNode node, String key, List<String> values) {
        if (!values.isEmpty()) {
            ArrayNode array = node.putArray(key);
            values.forEach(array::add);
        }
    }

    /** Puts a string map in the order it came in, only when non-empty. */
    static void putIfNotEmpty(ObjectNode node, String key, Map<String, String> values) {
        if (!values.isEmpty()) {
            ObjectNode object = node.putObject(key);
            values.forEach(object::put);
        }
    }

    /**
     * Puts a proto uint64 as the unsigned JSON number it is. Java reads uint64 into a signed long,
     * so e.g. RLIM_INFINITY (2^64-1) would otherwise come out as -1 and mean something else.
     */
    static void putUnsigned(ObjectNode node, String key, long value) {
        if (value >= 0) {
            node.put(key, value);
        } else {
            node.put(key, new BigInteger(Long.toUnsignedString(value)));
        }
    }

    /** Puts a proto uint32 (read by Java into a signed int) as its unsigned value. */
    static void putUnsigned(ObjectNode node, String key, int value) {
        node.put(key, Integer.toUnsignedLong(value));
    }

    static void requireAbsolute(String field, String path) {
        if (path.isEmpty()) {
            throw new InvalidOciSpecException(field, "must be an absolute path, got an empty one");
        }
        if (!path.startsWith("/")) {
            throw new InvalidOciSpecException(field, "must be an absolute path, got '" + path + "'");
        }
    }

    static void requireOneOf(String field, String value, Set<String> allowed, String what) {
        if (!allowed.contains(value)) {
            throw new InvalidOciSpecException(field, "unknown " + what + " '" + value + "'");
        }
    }
}
