package org.cvmagent.agent.policy.rego;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Reader;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Gives a case's want_result the mapping keys regorus's runner reads: its YAML library types a plain
 * key as YAML 1.2 does (`7:` a number, `null:`, `true:`), while Jackson's tree makes every key a
 * string. A mapping with such a key is rewritten to the runner's {"object!": [{key, value}]} form;
 * quoted keys stay strings.
 */
final class TypedYamlKeys {
    private static final Pattern INT = Pattern.compile("[-+]?[0-9]+");

    private TypedYamlKeys() {
    }

    /** The YAML nodes of the file's cases, in order, to pair with Jackson's reading of the same file. */
    static List<Node> cases(Path file) throws IOException {
        try (Reader r = Files.newBufferedReader(file)) {
            Node root = new Yaml().compose(r);
            Node cases = root instanceof MappingNode m ? value(m, "cases") : null;
            return cases instanceof SequenceNode s ? s.getValue() : List.of();
        }
    }

    /** Rewrites c's want_result in place from its YAML node yamlCase. */
    static void apply(ObjectNode c, Node yamlCase) {
        if (c.has("want_result") && yamlCase instanceof MappingNode m) {
            c.set("want_result", typed(c.get("want_result"), value(m, "want_result")));
        }
    }

    private static JsonNode typed(JsonNode n, Node y) {
        if (n instanceof ArrayNode a && y instanceof SequenceNode s && a.size() == s.getValue().size()) {
            for (int i = 0; i < a.size(); i++) {
                a.set(i, typed(a.get(i), s.getValue().get(i)));
            }
            return a;
        }
        if (!(n instanceof ObjectNode o) || !(y instanceof MappingNode m)) {
            return n;
        }
        boolean plainTyped = false;
        ArrayNode entries = JsonNodeFactory.instance.arrayNode();
        for (NodeTuple t : m.getValue()) {
            if (!(t.getKeyNode() instanceof ScalarNode k) || !o.has(k.getValue())) {
                return n;
            }
            JsonNode key = key(k);
            plainTyped |= !key.isTextual();
            ObjectNode entry = entries.addObject();
            entry.set("key", key);
            entry.set("value", typed(o.get(k.getValue()), t.getValueNode()));
        }
        if (!plainTyped) {
            entries.forEach(e -> o.set(e.get("key").asText(), e.get("value")));
            return o;
        }
        ObjectNode wrapped = JsonNodeFactory.instance.objectNode();
        wrapped.set("object!", entries);
        return wrapped;
    }

    private static JsonNode key(ScalarNode k) {
        String s = k.getValue();
        if (k.getScalarStyle() != DumperOptions.ScalarStyle.PLAIN) {
            return JsonNodeFactory.instance.textNode(s);
        }
        return switch (s) {
            case "null", "~" -> JsonNodeFactory.instance.nullNode();
            case "true" -> JsonNodeFactory.instance.booleanNode(true);
            case "false" -> JsonNodeFactory.instance.booleanNode(false);
            default -> INT.matcher(s).matches() ? JsonNodeFactory.instance.numberNode(new BigInteger(s))
                    : JsonNodeFactory.instance.textNode(s);
        };
    }

    private static Node value(MappingNode m, String key) {
        for (NodeTuple t : m.getValue()) {
            if (t.getKeyNode() instanceof ScalarNode k && k.getValue().equals(key)) {
                return t.getValueNode();
            }
        }
        return null;
    }
}
