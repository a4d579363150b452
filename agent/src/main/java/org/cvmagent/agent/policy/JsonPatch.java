package org.cvmagent.agent.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;

/**
 * RFC 6902 JSON Patch, as the {@code json_patch} crate applies the {@code ops} a kata policy returns
 * to its state: all of a patch or nothing.
 */
public final class JsonPatch {

    private JsonPatch() {
    }

    /**
     * @param document the document to patch; left untouched
     * @param ops      an array of operations ({@code add}, {@code remove}, {@code replace},
     *                 {@code move}, {@code copy}, {@code test})
     * @return the patched copy
     * @throws IllegalArgumentException for a malformed operation, a path that does not resolve, or
     *                                  a failed {@code test}
     */
    public static JsonNode apply(JsonNode document, JsonNode ops) {
        if (!ops.isArray()) {
            throw new IllegalArgumentException("a JSON patch is an array of operations, got " + ops);
        }
        // patched on a copy, so a failing operation leaves the caller's document as it was
        JsonNode root = document.deepCopy();
        for (JsonNode op : ops) {
            root = applyOne(root, op);
        }
        return root;
    }

    private static JsonNode applyOne(JsonNode root, JsonNode op) {
        String kind = text(op, "op");
        List<String> path = pointer(text(op, "path"));
        return switch (kind) {
            case "add" -> add(root, path, value(op));
            case "remove" -> {
                remove(root, path);
                yield root;
            }
            case "replace" -> {
                JsonNode value = value(op);
                if (path.isEmpty()) {
                    yield value.deepCopy();
                }
                remove(root, path);
                yield add(root, path, value);
            }
            case "move" -> {
                List<String> from = pointer(text(op, "from"));
                if (path.size() > from.size() && path.subList(0, from.size()).equals(from)) {
                    throw new IllegalArgumentException("move: cannot move " + from + " into itself");
                }
                JsonNode value = get(root, from);
                remove(root, from);
                yield add(root, path, value);
            }
            case "copy" -> add(root, path, get(root, pointer(text(op, "from"))).deepCopy());
            case "test" -> {
                if (!get(root, path).equals(value(op))) {
                    throw new IllegalArgumentException("test failed at " + text(op, "path"));
                }
                yield root;
            }
            default -> throw new IllegalArgumentException("unknown JSON patch operation " + kind);
        };
    }

    private static JsonNode add(JsonNode root, List<String> path, JsonNode value) {
        if (path.isEmpty()) {
            return value.deepCopy();
        }
        JsonNode parent = get(root, path.subList(0, path.size() - 1));
        String last = path.getLast();
        if (parent instanceof ObjectNode object) {
            object.set(last, value.deepCopy());
        } else if (parent instanceof ArrayNode array) {
            int index = last.equals("-") ? array.size() : index(last, array.size() + 1);
            array.insert(index, value.deepCopy());
        } else {
            throw new IllegalArgumentException("add: parent of " + render(path) + " is not a container");
        }
        return root;
    }

    private static void remove(JsonNode root, List<String> path) {
        if (path.isEmpty()) {
            throw new IllegalArgumentException("remove: cannot remove the whole document");
        }
        JsonNode parent = get(root, path.subList(0, path.size() - 1));
        String last = path.getLast();
        if (parent instanceof ObjectNode object) {
            if (object.remove(last) == null) {
                throw new IllegalArgumentException("remove: no member at " + render(path));
            }
        } else if (parent instanceof ArrayNode array) {
            array.remove(index(last, array.size()));
        } else {
            throw new IllegalArgumentException("remove: parent of " + render(path) + " is not a container");
        }
    }

    private static JsonNode get(JsonNode root, List<String> path) {
        JsonNode node = root;
        for (String token : path) {
            JsonNode next = node.isObject() ? node.get(token)
                    : node.isArray() ? node.get(index(token, node.size())) : null;
            if (next == null) {
                throw new IllegalArgumentException("no value at " + render(path));
            }
            node = next;
        }
        return node;
    }

    /** An array index as RFC 6901 writes it: digits, no leading zero, below {@code bound}. */
    private static int index(String token, int bound) {
        if (!token.matches("0|[1-9][0-9]{0,8}")) {
            throw new IllegalArgumentException("not an array index: " + token);
        }
        int index = Integer.parseInt(token);
        if (index >= bound) {
            throw new IllegalArgumentException("array index " + index + " out of bounds");
        }
        return index;
    }

    /** RFC 6901: "" is the whole document, otherwise "/"-separated tokens with ~1 for / and ~0 for ~. */
    static List<String> pointer(String text) {
        List<String> tokens = new ArrayList<>();
        if (text.isEmpty()) {
            return tokens;
        }
        if (!text.startsWith("/")) {
            throw new IllegalArgumentException("a JSON pointer starts with /: " + text);
        }
        for (String token : text.substring(1).split("/", -1)) {
            tokens.add(token.replace("~1", "/").replace("~0", "~"));
        }
        return tokens;
    }

    private static String render(List<String> path) {
        StringBuilder out = new StringBuilder();
        path.forEach(token -> out.append('/').append(token.replace("~", "~0").replace("/", "~1")));
        return out.toString();
    }

    private static String text(JsonNode op, String field) {
        JsonNode value = op.get(field);
        if (value == null || !value.isTextual()) {
            throw new IllegalArgumentException("JSON patch operation needs a string " + field + ": " + op);
        }
        return value.textValue();
    }

    private static JsonNode value(JsonNode op) {
        JsonNode value = op.get("value");
        if (value == null) {
            throw new IllegalArgumentException("JSON patch operation needs a value: " + op);
        }
        return value;
    }
}
