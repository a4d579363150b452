package org.cvmagent.agent.policy.rego;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * json.patch: RFC 6902 over Rego values. Paths are JSON pointers or arrays of keys (which may
 * address set members by value). Any failing operation makes the result undefined.
 */
final class JsonPatchBuiltin {
    /** Signals a patch that cannot apply; the builtin answers undefined. */
    private static final class Inapplicable extends Exception {
        Inapplicable() {
            super(null, null, false, false);
        }
    }

    private JsonPatchBuiltin() {
    }

    static void register(Builtins b) {
        b.add("json.patch", 2, (a, bu) -> {
            Value doc = a.get(0);
            for (Value op : Args.arr("json.patch", a, 1).items()) {
                try {
                    doc = apply(doc, op);
                } catch (Inapplicable e) {
                    return null;
                }
            }
            // null here means the root was removed: no document at all
            return doc;
        });
    }

    private static Value field(Value op, String name) throws Inapplicable {
        Value v = op instanceof Value.Obj o ? o.map().get(Value.str(name)) : null;
        if (v == null) {
            throw new Inapplicable();
        }
        return v;
    }

    private static List<Value> path(Value p) throws Inapplicable {
        if (p instanceof Value.Arr a) {
            return a.items();
        }
        if (!(p instanceof Value.Str s)) {
            throw new Inapplicable();
        }
        if (s.value().isEmpty()) {
            return List.of();
        }
        if (!s.value().startsWith("/")) {
            throw new Inapplicable();
        }
        List<Value> out = new ArrayList<>();
        for (String seg : s.value().substring(1).split("/", -1)) {
            out.add(Value.str(seg.replace("~1", "/").replace("~0", "~")));
        }
        return out;
    }

    private static Value apply(Value doc, Value op) throws Inapplicable {
        if (!(field(op, "op") instanceof Value.Str kind)) {
            throw new Inapplicable();
        }
        List<Value> path = path(field(op, "path"));
        return switch (kind.value()) {
            case "add" -> add(doc, path, field(op, "value"));
            case "remove" -> remove(doc, path);
            case "replace" -> add(remove(doc, path), path, field(op, "value"));
            case "move" -> {
                List<Value> from = path(field(op, "from"));
                if (path.size() > from.size() && path.subList(0, from.size()).equals(from)) {
                    throw new Inapplicable();
                }
                Value v = get(doc, from);
                yield add(remove(doc, from), path, v);
            }
            case "copy" -> add(doc, path, get(doc, path(field(op, "from"))));
            case "test" -> {
                if (!get(doc, path).equals(field(op, "value"))) {
                    throw new Inapplicable();
                }
                yield doc;
            }
            default -> throw new Inapplicable();
        };
    }

    private static Value get(Value doc, List<Value> path) throws Inapplicable {
        Value cur = doc;
        for (Value k : path) {
            cur = child(cur, k, false);
        }
        return cur;
    }

    private static int index(Value.Arr a, Value k, boolean forInsert) throws Inapplicable {
        String s;
        if (k instanceof Value.Str str) {
            s = str.value();
            if (forInsert && s.equals("-")) {
                return a.items().size();
            }
            if (!s.matches("0|[1-9][0-9]{0,9}")) {
                throw new Inapplicable();
            }
        } else if (k instanceof Value.Num n && n.value().scale() <= 0 && n.value().signum() >= 0
                && n.value().precision() <= 10) {
            s = n.value().toPlainString();
        } else {
            throw new Inapplicable();
        }
        long i = Long.parseLong(s);
        if (i > a.items().size() || (!forInsert && i == a.items().size())) {
            throw new Inapplicable();
        }
        return (int) i;
    }

    private static Value child(Value cur, Value k, boolean forInsert) throws Inapplicable {
        return switch (cur) {
            case Value.Obj o -> {
                Value v = o.map().get(k);
                if (v == null) {
                    throw new Inapplicable();
                }
                yield v;
            }
            case Value.Arr a -> a.items().get(index(a, k, false));
            case Value.SetV s -> {
                if (!s.items().contains(k)) {
                    throw new Inapplicable();
                }
                yield k;
            }
            default -> throw new Inapplicable();
        };
    }

    private static Value add(Value doc, List<Value> path, Value v) throws Inapplicable {
        if (path.isEmpty()) {
            return v;
        }
        Value k = path.get(0);
        if (doc == null) {
            throw new Inapplicable();
        }
        if (path.size() == 1) {
            return switch (doc) {
                case Value.Obj o -> {
                    TreeMap<Value, Value> m = new TreeMap<>(o.map());
                    m.put(k, v);
                    yield Values.obj(m);
                }
                case Value.Arr a -> {
                    List<Value> items = new ArrayList<>(a.items());
                    items.add(index(a, k, true), v);
                    yield Values.arr(items);
                }
                case Value.SetV s -> {
                    if (!k.equals(v)) {
                        throw new Inapplicable();
                    }
                    TreeSet<Value> items = new TreeSet<>(s.items());
                    items.add(v);
                    yield Values.set(items);
                }
                default -> throw new Inapplicable();
            };
        }
        if (doc instanceof Value.SetV s) {
            // adding below a set member (OPA: copy into {"a": [1]} of a set) swaps the member for its
            // patched value; removing below one stays inapplicable, so replace there is undefined as in OPA
            Value patched = add(child(doc, k, false), path.subList(1, path.size()), v);
            TreeSet<Value> items = new TreeSet<>(s.items());
            items.remove(k);
            items.add(patched);
            return Values.set(items);
        }
        return replaceChild(doc, k, add(child(doc, k, false), path.subList(1, path.size()), v));
    }

    private static Value remove(Value doc, List<Value> path) throws Inapplicable {
        if (path.isEmpty()) {
            return null;
        }
        Value k = path.get(0);
        if (doc == null) {
            throw new Inapplicable();
        }
        if (path.size() == 1) {
            return switch (doc) {
                case Value.Obj o -> {
                    if (!o.map().containsKey(k)) {
                        throw new Inapplicable();
                    }
                    TreeMap<Value, Value> m = new TreeMap<>(o.map());
                    m.remove(k);
                    yield Values.obj(m);
                }
                case Value.Arr a -> {
                    List<Value> items = new ArrayList<>(a.items());
                    items.remove(index(a, k, false));
                    yield Values.arr(items);
                }
                case Value.SetV s -> {
                    if (!s.items().contains(k)) {
                        throw new Inapplicable();
                    }
                    TreeSet<Value> items = new TreeSet<>(s.items());
                    items.remove(k);
                    yield Values.set(items);
                }
                default -> throw new Inapplicable();
            };
        }
        if (doc instanceof Value.SetV) {
            throw new Inapplicable();
        }
        return replaceChild(doc, k, remove(child(doc, k, false), path.subList(1, path.size())));
    }

    private static Value replaceChild(Value doc, Value k, Value v) throws Inapplicable {
        if (v == null) {
            throw new Inapplicable();
        }
        return switch (doc) {
            case Value.Obj o -> {
                TreeMap<Value, Value> m = new TreeMap<>(o.map());
                m.put(k, v);
                yield Values.obj(m);
            }
            case Value.Arr a -> {
                List<Value> items = new ArrayList<>(a.items());
                items.set(index(a, k, false), v);
                yield Values.arr(items);
            }
            default -> throw new Inapplicable();
        };
    }
}
