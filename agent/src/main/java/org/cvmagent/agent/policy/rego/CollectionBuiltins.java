package org.cvmagent.agent.policy.rego;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/** Aggregates and array, object and set builtins. */
final class CollectionBuiltins {
    private CollectionBuiltins() {
    }

    static void register(Builtins b) {
        b.add("count", 1, (a, bu) -> switch (a.get(0)) {
            case Value.Arr v -> Value.num(v.items().size());
            case Value.SetV v -> Value.num(v.items().size());
            case Value.Obj v -> Value.num(v.map().size());
            case Value.Str v -> Value.num(v.value().codePointCount(0, v.value().length()));
            default -> throw Args.typeError("count", 0, "any of array, object, set, string", a.get(0));
        });
        b.add("sum", 1, (a, bu) -> {
            BigDecimal s = BigDecimal.ZERO;
            for (Value v : Args.collection("sum", a, 0)) {
                if (!(v instanceof Value.Num n)) {
                    throw Args.typeError("sum", 0, "array or set of numbers", v);
                }
                s = s.add(n.value());
            }
            return Value.num(s);
        });
        b.add("product", 1, (a, bu) -> {
            BigDecimal s = BigDecimal.ONE;
            for (Value v : Args.collection("product", a, 0)) {
                if (!(v instanceof Value.Num n)) {
                    throw Args.typeError("product", 0, "array or set of numbers", v);
                }
                s = s.multiply(n.value());
            }
            return Value.num(s);
        });
        b.add("max", 1, (a, bu) -> {
            List<Value> c = Args.collection("max", a, 0);
            return c.isEmpty() ? null : Collections.max(c);
        });
        b.add("min", 1, (a, bu) -> {
            List<Value> c = Args.collection("min", a, 0);
            return c.isEmpty() ? null : Collections.min(c);
        });
        b.add("sort", 1, (a, bu) -> {
            List<Value> c = new ArrayList<>(Args.collection("sort", a, 0));
            Collections.sort(c);
            return Values.arr(c);
        });
        b.add("array.concat", 2, (a, bu) -> {
            List<Value> out = new ArrayList<>(Args.arr("array.concat", a, 0).items());
            out.addAll(Args.arr("array.concat", a, 1).items());
            return Values.arr(out);
        });
        b.add("array.slice", 3, (a, bu) -> {
            List<Value> items = Args.arr("array.slice", a, 0).items();
            Long rawFrom = Args.integralOrNull("array.slice", a, 1);
            Long rawTo = Args.integralOrNull("array.slice", a, 2);
            if (rawFrom == null || rawTo == null) {
                return null;
            }
            long from = Math.max(0, rawFrom);
            long to = Math.min(items.size(), rawTo);
            if (from >= to) {
                return Values.EMPTY_ARR;
            }
            return Values.arr(new ArrayList<>(items.subList((int) from, (int) to)));
        });
        b.add("array.reverse", 1, (a, bu) -> {
            List<Value> out = new ArrayList<>(Args.arr("array.reverse", a, 0).items());
            Collections.reverse(out);
            return Values.arr(out);
        });
        b.add("object.get", 3, (a, bu) -> {
            Value.Obj o = Args.obj("object.get", a, 0);
            if (a.get(1) instanceof Value.Arr path) {
                Value cur = o;
                for (Value k : path.items()) {
                    cur = Evaluator.lookup(cur, k);
                    if (cur == null) {
                        return a.get(2);
                    }
                }
                return cur;
            }
            Value v = o.map().get(a.get(1));
            return v == null ? a.get(2) : v;
        });
        b.add("object.keys", 1, (a, bu) -> Values.set(new TreeSet<>(Args.obj("object.keys", a, 0).map().keySet())));
        b.add("object.union", 2, (a, bu) -> union(Args.obj("object.union", a, 0), Args.obj("object.union", a, 1)));
        b.add("object.union_n", 1, (a, bu) -> {
            Value out = Values.EMPTY_OBJ;
            for (Value v : Args.arr("object.union_n", a, 0).items()) {
                if (!(v instanceof Value.Obj o)) {
                    throw Args.typeError("object.union_n", 0, "array of objects", v);
                }
                out = union((Value.Obj) out, o);
            }
            return out;
        });
        b.add("object.remove", 2, (a, bu) -> {
            TreeMap<Value, Value> m = new TreeMap<>(Args.obj("object.remove", a, 0).map());
            keysOf("object.remove", a.get(1)).forEach(m::remove);
            return Values.obj(m);
        });
        b.add("object.filter", 2, (a, bu) -> {
            TreeMap<Value, Value> m = new TreeMap<>(Args.obj("object.filter", a, 0).map());
            m.keySet().retainAll(keysOf("object.filter", a.get(1)));
            return Values.obj(m);
        });
        b.add("union", 1, (a, bu) -> {
            TreeSet<Value> out = new TreeSet<>();
            for (Value v : Args.set("union", a, 0).items()) {
                if (!(v instanceof Value.SetV s)) {
                    throw Args.typeError("union", 0, "set of sets", v);
                }
                out.addAll(s.items());
            }
            return Values.set(out);
        });
        b.add("intersection", 1, (a, bu) -> {
            TreeSet<Value> out = null;
            for (Value v : Args.set("intersection", a, 0).items()) {
                if (!(v instanceof Value.SetV s)) {
                    throw Args.typeError("intersection", 0, "set of sets", v);
                }
                if (out == null) {
                    out = new TreeSet<>(s.items());
                } else {
                    out.retainAll(s.items());
                }
            }
            return out == null ? Values.EMPTY_SET : Values.set(out);
        });
        b.add("and", 2, (a, bu) -> Operators.setOp("&", a.get(0), a.get(1)));
        b.add("or", 2, (a, bu) -> Operators.setOp("|", a.get(0), a.get(1)));
    }

    private static TreeSet<Value> keysOf(String fn, Value v) throws RegoException {
        return switch (v) {
            case Value.Arr x -> new TreeSet<>(x.items());
            case Value.SetV x -> new TreeSet<>(x.items());
            case Value.Obj x -> new TreeSet<>(x.map().keySet());
            default -> throw Args.typeError(fn, 1, "object, array or set", v);
        };
    }

    /** Merges b into a, recursively where both hold objects under the same key. */
    static Value.Obj union(Value.Obj a, Value.Obj b) {
        TreeMap<Value, Value> m = new TreeMap<>(a.map());
        for (Map.Entry<Value, Value> e : b.map().entrySet()) {
            Value prev = m.get(e.getKey());
            if (prev instanceof Value.Obj po && e.getValue() instanceof Value.Obj no) {
                m.put(e.getKey(), union(po, no));
            } else {
                m.put(e.getKey(), e.getValue());
            }
        }
        return Values.obj(m);
    }
}
