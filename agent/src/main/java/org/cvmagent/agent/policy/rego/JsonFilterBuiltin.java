package org.cvmagent.agent.policy.rego;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;

/** json.filter: keeps only the parts of a document reached by the given paths. */
final class JsonFilterBuiltin {
    private JsonFilterBuiltin() {
    }

    static void register(Builtins b) {
        b.add("json.filter", 2, (a, bu) -> {
            Value doc = a.get(0);
            if (!(doc instanceof Value.Obj)) {
                throw Args.typeError("json.filter", 0, "object", doc);
            }
            JsonPathTree root = new JsonPathTree();
            for (Value path : Args.collection("json.filter", a, 1)) {
                root.add(JsonPathTree.segments(path,
                        "eval_type_error: json.filter: paths must be strings or arrays, got "));
            }
            return filter(doc, root);
        });
    }

    /** The filtered value, or null when nothing of it is kept. */
    private static Value filter(Value v, JsonPathTree n) {
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
                    JsonPathTree child = n.child(Value.str(Integer.toString(i)));
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
                    JsonPathTree child = n.child(e);
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
