package org.cvmagent.agent.policy.rego;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/** object.subset, json.remove and json.marshal_with_options. */
final class ObjectExtraBuiltins {
    private ObjectExtraBuiltins() {
    }

    static void register(Builtins b) {
        b.add("object.subset", 2, (a, bu) -> Value.bool(subsetTop(a.get(0), a.get(1))));
        b.add("json.remove", 2, (a, bu) -> {
            if (!(a.get(0) instanceof Value.Obj doc)) {
                throw Args.typeError("json.remove", 0, "object", a.get(0));
            }
            if (!(a.get(1) instanceof Value.Arr || a.get(1) instanceof Value.SetV)) {
                throw Args.typeError("json.remove", 1, "one of {set, array}", a.get(1));
            }
            JsonPathTree root = new JsonPathTree();
            for (Value path : Args.collection("json.remove", a, 1)) {
                root.add(JsonPathTree.segments(path, "eval_type_error: json.remove: operand 2 must be one of {set, array} containing "
                    + "string paths or array of path segments but got "));
            }
            Value out = remove(doc, root);
            return out == null ? Values.EMPTY_OBJ : out;
        });
        b.add("json.marshal_with_options", 2, (a, bu) -> {
            // null options, as OPA takes them, are the defaults of a pretty layout
            if (a.get(1) instanceof Value.Null) {
                return marshalWithOptions(a.get(0), null);
            }
            return marshalWithOptions(a.get(0), Args.obj("json.marshal_with_options", a, 1));
        });
    }

    // ---- object.subset, as OPA defines it: objects recursively, sets by membership, arrays as a
    // contiguous run, a set within an array by membership; other pairs of types are an error

    private static boolean subsetTop(Value sup, Value sub) throws RegoException {
        return switch (sup) {
            case Value.Obj o when sub instanceof Value.Obj s -> objectSubset(o, s);
            case Value.SetV o when sub instanceof Value.SetV s -> o.items().containsAll(s.items());
            case Value.Arr o when sub instanceof Value.Arr s -> arraySubset(o.items(), s.items());
            case Value.Arr o when sub instanceof Value.SetV s -> arraySetSubset(o.items(), s);
            default -> throw new BuiltinError("eval_type_error: object.subset: both arguments object.subset must be "
                    + "of the same type or array and set");
        };
    }

    private static boolean objectSubset(Value.Obj sup, Value.Obj sub) {
        for (Map.Entry<Value, Value> e : sub.map().entrySet()) {
            Value s = sup.map().get(e.getKey());
            if (s == null) {
                return false;
            }
            Value v = e.getValue();
            if (s.equals(v)) {
                continue;
            }
            boolean ok = switch (s) {
                case Value.Obj so when v instanceof Value.Obj vo -> objectSubset(so, vo);
                case Value.SetV ss when v instanceof Value.SetV vs -> ss.items().containsAll(vs.items());
                case Value.Arr sa when v instanceof Value.Arr va -> arraySubset(sa.items(), va.items());
                default -> false;
            };
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** Whether sub occurs as a contiguous run in sup. */
    private static boolean arraySubset(List<Value> sup, List<Value> sub) {
        if (sub.isEmpty()) {
            return true;
        }
        for (int i = 0; i + sub.size() <= sup.size(); i++) {
            if (sup.subList(i, i + sub.size()).equals(sub)) {
                return true;
            }
        }
        return false;
    }

    /** Whether every element of sub occurs in sup; OPA's scan answers false for an empty array even then. */
    private static boolean arraySetSubset(List<Value> sup, Value.SetV sub) {
        if (sup.isEmpty()) {
            return false;
        }
        TreeSet<Value> missing = new TreeSet<>(sub.items());
        sup.forEach(missing::remove);
        return missing.isEmpty();
    }

    // ---- json.remove

    /** The value without the paths of n; null when the value itself is removed. */
    private static Value remove(Value v, JsonPathTree n) {
        if (n.leaf) {
            return null;
        }
        if (n.children.isEmpty()) {
            return v;
        }
        switch (v) {
            case Value.Obj o -> {
                TreeMap<Value, Value> out = new TreeMap<>();
                for (Map.Entry<Value, Value> e : o.map().entrySet()) {
                    JsonPathTree child = n.child(e.getKey());
                    Value kept = child == null ? e.getValue() : remove(e.getValue(), child);
                    if (kept != null) {
                        out.put(e.getKey(), kept);
                    }
                }
                return Values.obj(out);
            }
            case Value.Arr arr -> {
                // positions are addressed by their decimal string (path strings) or by number (path arrays)
                List<Value> out = new ArrayList<>();
                for (int i = 0; i < arr.items().size(); i++) {
                    JsonPathTree child = n.child(Value.str(Integer.toString(i)));
                    if (child == null) {
                        child = n.child(Value.num(i));
                    }
                    Value kept = child == null ? arr.items().get(i) : remove(arr.items().get(i), child);
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
                    Value kept = child == null ? e : remove(e, child);
                    if (kept != null) {
                        out.add(kept);
                    }
                }
                return Values.set(out);
            }
            default -> {
                return v;
            }
        }
    }

    // ---- json.marshal_with_options

    /**
     * Options "pretty" (boolean), "indent" and "prefix" (strings). No options, or pretty false,
     * give json.marshal's compact text; otherwise Go's json.MarshalIndent layout (indent defaults
     * to a tab) with the prefix before every line, the first included.
     */
    private static Value marshalWithOptions(Value v, Value.Obj opts) throws RegoException {
        String fn = "json.marshal_with_options";
        Boolean pretty = null;
        String indent = "\t";
        String prefix = "";
        Iterable<Map.Entry<Value, Value>> entries = opts == null ? List.of() : opts.map().entrySet();
        for (Map.Entry<Value, Value> e : entries) {
            String key = e.getKey() instanceof Value.Str s ? s.value() : "";
            Value val = e.getValue();
            switch (key) {
                // a null option value leaves that option at its default
                case "pretty" -> {
                    if (val instanceof Value.Bool bv) {
                        pretty = bv.value();
                    } else if (!(val instanceof Value.Null)) {
                        throw new BuiltinError("eval_type_error: " + fn + ": \"pretty\" contained invalid type");
                    }
                }
                case "indent", "prefix" -> {
                    if (val instanceof Value.Str sv) {
                        if (key.equals("indent")) {
                            indent = sv.value();
                        } else {
                            prefix = sv.value();
                        }
                    } else if (!(val instanceof Value.Null)) {
                        throw new BuiltinError("eval_type_error: " + fn + ": \"" + key + "\" contained invalid type");
                    }
                }
                default -> throw new BuiltinError("eval_type_error: " + fn + ": object contained unknown key "
                        + Values.toJsonText(e.getKey()));
            }
        }
        if ((opts != null && opts.map().isEmpty()) || Boolean.FALSE.equals(pretty)) {
            return Value.str(Values.toJsonText(v));
        }
        StringBuilder sb = new StringBuilder(prefix);
        writeIndented(sb, v, prefix, indent, 0);
        return Value.str(sb.toString());
    }

    private static void writeIndented(StringBuilder sb, Value v, String prefix, String indent, int depth) {
        List<Value[]> entries = new ArrayList<>();
        boolean object = v instanceof Value.Obj;
        switch (v) {
            case Value.Arr a -> a.items().forEach(e -> entries.add(new Value[] {null, e}));
            case Value.SetV s -> s.items().forEach(e -> entries.add(new Value[] {null, e}));
            case Value.Obj o -> o.map().forEach((k, e) -> entries.add(new Value[] {k, e}));
            default -> {
                sb.append(Values.toJsonText(v));
                return;
            }
        }
        sb.append(object ? '{' : '[');
        if (!entries.isEmpty()) {
            for (int i = 0; i < entries.size(); i++) {
                sb.append('\n').append(prefix).append(indent.repeat(depth + 1));
                Value[] e = entries.get(i);
                if (e[0] != null) {
                    Values.quote(sb, e[0] instanceof Value.Str s ? s.value() : Values.toJsonText(e[0]));
                    sb.append(": ");
                }
                writeIndented(sb, e[1], prefix, indent, depth + 1);
                if (i + 1 < entries.size()) {
                    sb.append(',');
                }
            }
            sb.append('\n').append(prefix).append(indent.repeat(depth));
        }
        sb.append(object ? '}' : ']');
    }
}
