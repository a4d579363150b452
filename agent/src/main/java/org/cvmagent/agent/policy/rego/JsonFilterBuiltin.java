package org.cvmagent.agent.policy.rego;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;

/** json.filter: keeps only the parts of a document reached by the given paths. */
final class JsonFilterBuiltin {
    private JsonFilterBuiltin() {
    }

    /** The paths merged into a tree; a leaf keeps the whole value under it. */
    private static final class Node {
        final TreeMap<Value, Node> children = new TreeMap<>();
        boolean leaf;
    }

    static void register(Builtins b) {
        b.add("json.filter", 2, (a, bu) -> {
            Value doc = a.get(0);
            if (!(doc instanceof Value.Obj)) {
                throw Args.typeError("json.filter", 0, "object", doc);
            }
            Node root = new Node();
            for (Value path : Args.collection("json.filter", a, 1)) {
                add(root, segments(path));
            }
            return filter(doc, root);
        });
    }

    /** A path is "a/b/c" (JSON-pointer escapes allowed) or an array of keys. */
    private static List<Value> segments(Value path) throws RegoException {
        if (path instanceof Value.Arr arr) {
            return arr.items();
        }
        if (!(path instanceof Value.Str s)) {
            throw new BuiltinError("eval_type_error: json.filter: paths must be strings or arrays, got "
                    + Values.typeName(path));
        }
        String p = s.value().startsWith("/") ? s.value().substring(1) : s.value();
        List<Value> out = new ArrayList<>();
        for (String part : p.split("/", -1)) {
            out.add(Value.str(part.replace("~1", "/").replace("~0", "~")));
        }
        return out;
    }

    private static void add(Node root, List<Value> path) {
        Node n = root;
        for (Value seg : path) {
            if (n.leaf) {
                return;
            }
            n = n.children.computeIfAbsent(seg, k -> new Node());
        }
        // a shorter path keeps everything below it, so deeper paths under it no longer matter
        n.leaf = true;
        n.children.clear();
    }

    /** The filtered value, or null when nothing of it is kept. */
    private static Value filter(Value v, Node n) {
        if (n.leaf) {
            return v;
        }
        switch (v) {
            case Value.Obj o -> {
                TreeMap<Value, Value> out = new TreeMap<>();
                n.children.forEach((k, child) -> {
                    Value got = o.map().get(k);
                    Value kept = got == null ? null : filter(got, child);
                    if (kept != null) {
                        out.put(k, kept);
                    }
                });
                return Values.obj(out);
            }
            case Value.Arr arr -> {
                // array positions are addressed by their decimal string, as path strings spell them
                List<Value> out = new ArrayList<>();
                for (int i = 0; i < arr.items().size(); i++) {
                    Node child = n.children.get(Value.str(Integer.toString(i)));
                    Value kept = child == null ? null : filter(arr.items().get(i), child);
                    if (kept != null) {
                        out.add(kept);
                    }
                }
                return Values.arr(out);
            }
            case Value.SetV set -> {
                TreeSet<Value> out = new TreeSet<>();
                for (Value e : set.items()) {
                    Node child = n.children.get(e);
                    Value kept = child == null ? null : filter(e, child);
                    if (kept != null) {
                        out.add(kept);
                    }
                }
                return Values.set(out);
            }
            default -> {
                return null;
            }
        }
    }
}
