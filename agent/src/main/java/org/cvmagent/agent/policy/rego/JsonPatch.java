package org.cvmagent.agent.policy.rego;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The JSON-patch subset (RFC 6902 add, replace, remove) kata policies return as `ops` to update
 * their state under data.pstate. Works on a copy; the document passed in is left as it was.
 */
public final class JsonPatch {
    private JsonPatch() {
    }

    public static ObjectNode apply(ObjectNode doc, JsonNode ops) throws RegoException {
        ObjectNode out = doc.deepCopy();
        for (JsonNode op : ops) {
            String kind = op.path("op").asText();
            String path = op.path("path").asText();
            if (!path.startsWith("/")) {
                throw new RegoException("json patch: path must start with /: " + path);
            }
            String[] parts = path.substring(1).split("/", -1);
            JsonNode parent = out;
            for (int i = 0; i < parts.length - 1; i++) {
                String seg = unescape(parts[i]);
                JsonNode next = parent.isArray() ? parent.get(Integer.parseInt(seg)) : parent.get(seg);
                if (next == null) {
                    if (!kind.equals("add") || !parent.isObject()) {
                        throw new RegoException("json patch: missing parent for " + path);
                    }
                    // kata's state paths (/pstate/...) start out absent: create them
                    next = ((ObjectNode) parent).putObject(seg);
                }
                parent = next;
            }
            String last = unescape(parts[parts.length - 1]);
            switch (kind) {
                case "add", "replace" -> set(parent, last, op.get("value"), kind.equals("add"));
                case "remove" -> {
                    if (parent instanceof ObjectNode o) {
                        o.remove(last);
                    } else if (parent instanceof ArrayNode a) {
                        a.remove(Integer.parseInt(last));
                    }
                }
                default -> throw new RegoException("json patch: unsupported op " + kind);
            }
        }
        return out;
    }

    private static void set(JsonNode parent, String key, JsonNode value, boolean insert) throws RegoException {
        if (parent instanceof ObjectNode o) {
            o.set(key, value);
        } else if (parent instanceof ArrayNode a) {
            if (key.equals("-")) {
                a.add(value);
            } else if (insert) {
                a.insert(Integer.parseInt(key), value);
            } else {
                a.set(Integer.parseInt(key), value);
            }
        } else {
            throw new RegoException("json patch: cannot set " + key + " in a scalar");
        }
    }

    private static String unescape(String s) {
        return s.replace("~1", "/").replace("~0", "~");
    }
}
