package org.cvmagent.agent.policy.rego;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * The paths of json.filter and json.remove merged into a tree: a leaf stands for the whole value
 * under it, so a deeper path under a leaf adds nothing.
 */
final class JsonPathTree {
    final TreeMap<Value, JsonPathTree> children = new TreeMap<>();
    boolean leaf;

    void add(List<Value> path) {
        JsonPathTree n = this;
        for (Value seg : path) {
            if (n.leaf) {
                return;
            }
            n = n.children.computeIfAbsent(seg, k -> new JsonPathTree());
        }
        n.leaf = true;
        n.children.clear();
    }

    JsonPathTree child(Value key) {
        return children.get(key);
    }

    /**
     * A path is "a/b/c" (leading "/" optional, JSON-pointer escapes ~0 and ~1) or an array of keys.
     *
     * @param notAPath the builtin's type error, to which the operand's type name is appended
     */
    static List<Value> segments(Value path, String notAPath) throws RegoException {
        if (path instanceof Value.Arr arr) {
            return arr.items();
        }
        if (!(path instanceof Value.Str s)) {
            throw new BuiltinError(notAPath + Values.typeName(path));
        }
        String p = s.value().startsWith("/") ? s.value().substring(1) : s.value();
        List<Value> out = new ArrayList<>();
        for (String part : p.split("/", -1)) {
            out.add(Value.str(part.replace("~1", "/").replace("~0", "~")));
        }
        return out;
    }
}
