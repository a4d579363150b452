package org.cvmagent.agent.policy.rego;

import java.util.List;
import java.util.TreeMap;

/** Copy-on-write replacement of a value at a path of object keys (for `with`). */
final class Patch {
    private Patch() {
    }

    static Value put(Value doc, List<String> path, Value v) {
        if (path.isEmpty()) {
            return v;
        }
        TreeMap<Value, Value> m = new TreeMap<>();
        if (doc instanceof Value.Obj o) {
            m.putAll(o.map());
        }
        Value key = Value.str(path.get(0));
        m.put(key, put(m.get(key), path.subList(1, path.size()), v));
        return Values.obj(m);
    }
}
