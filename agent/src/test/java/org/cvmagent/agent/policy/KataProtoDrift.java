package org.cvmagent.agent.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The test data was logged by a 2024 kata-agent; our protos are today's kata's. The differences
 * are listed here, each one by name, so that the round trip stays an exact comparison otherwise:
 * a field kata renamed since, and fields kata added since (which we write at their defaults).
 */
final class KataProtoDrift {

    /** types.proto Interface: {@code pciPath} became {@code devicePath} (PCI or CCW path). */
    private static final Map<String, String> RENAMED = Map.of("pciPath", "devicePath");

    /**
     * Added since: Storage.shared, CreateContainerRequest.{stdin,stdout,stderr}_port,
     * Route.flags, Route.mtu.
     */
    private static final Set<String> ADDED = Set.of("shared", "stdin_port", "stdout_port", "stderr_port",
            "flags", "mtu");

    private KataProtoDrift() {
    }

    /** The logged input with renamed fields under today's names. */
    static JsonNode upgrade(JsonNode node) {
        JsonNode copy = node.deepCopy();
        rename(copy);
        return copy;
    }

    private static void rename(JsonNode node) {
        if (node instanceof ObjectNode object) {
            RENAMED.forEach((old, now) -> {
                if (object.has(old)) {
                    object.set(now, object.remove(old));
                }
            });
            object.forEach(KataProtoDrift::rename);
        } else if (node.isArray()) {
            node.forEach(KataProtoDrift::rename);
        }
    }

    /**
     * Differences between kata's JSON and ours, by path. Numbers compare by value (serde writes
     * no int/long distinction); a field only we have is fine only when it is listed in
     * {@link #ADDED} and holds its default.
     */
    static void diff(String path, JsonNode kata, JsonNode ours, List<String> out) {
        if (kata.isNumber() && ours.isNumber()) {
            if (kata.decimalValue().compareTo(ours.decimalValue()) != 0) {
                out.add(path + ": " + kata + " != " + ours);
            }
            return;
        }
        if (kata.isObject() && ours.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = kata.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                if (!ours.has(field.getKey())) {
                    out.add(path + "." + field.getKey() + ": missing from ours");
                } else {
                    diff(path + "." + field.getKey(), field.getValue(), ours.get(field.getKey()), out);
                }
            }
            for (Iterator<String> it = ours.fieldNames(); it.hasNext(); ) {
                String name = it.next();
                if (!kata.has(name) && !(ADDED.contains(name) && isDefault(ours.get(name)))) {
                    out.add(path + "." + name + ": only in ours: " + ours.get(name));
                }
            }
            return;
        }
        if (kata.isArray() && ours.isArray()) {
            if (kata.size() != ours.size()) {
                out.add(path + ": " + kata.size() + " items != " + ours.size());
                return;
            }
            for (int i = 0; i < kata.size(); i++) {
                diff(path + "[" + i + "]", kata.get(i), ours.get(i), out);
            }
            return;
        }
        if (!kata.equals(ours)) {
            out.add(path + ": " + kata + " != " + ours);
        }
    }

    private static boolean isDefault(JsonNode value) {
        return value.isNull() || (value.isNumber() && value.asLong() == 0) || (value.isBoolean() && !value.asBoolean())
                || (value.isTextual() && value.asText().isEmpty()) || (value.isContainerNode() && value.isEmpty());
    }
}
