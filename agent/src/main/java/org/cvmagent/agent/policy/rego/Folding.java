package org.cvmagent.agent.policy.rego;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Turns collection literals made only of constants into constants at parse time, so a policy's
 * large data literals (genpolicy's policy_data) are built once rather than on every query.
 */
final class Folding {
    private Folding() {
    }

    /**
     * The value of a constant item: a scalar, or an empty literal ([], {}, set()). The parser keeps
     * a lone empty literal as a literal, whose shape unification checks, but inside a constant
     * collection it is just a value; genpolicy's policy_data is full of "AdditionalGids": [], and
     * one such item would otherwise leave the whole document to be rebuilt on every query.
     */
    private static Value constant(Ast.Term t) {
        return switch (t) {
            case Ast.Scalar s -> s.value();
            case Ast.ArrayLit a when a.items().isEmpty() -> Values.EMPTY_ARR;
            case Ast.ObjectLit o when o.entries().isEmpty() -> Values.EMPTY_OBJ;
            case Ast.SetLit s when s.items().isEmpty() -> Values.EMPTY_SET;
            default -> null;
        };
    }

    static Ast.Term array(List<Ast.Term> items, int line) {
        if (!items.stream().allMatch(i -> constant(i) != null)) {
            return new Ast.ArrayLit(items, line);
        }
        List<Value> vs = new ArrayList<>(items.size());
        items.forEach(i -> vs.add(constant(i)));
        return new Ast.Scalar(Values.arr(vs), line);
    }

    static Ast.Term set(List<Ast.Term> items, int line) {
        if (!items.stream().allMatch(i -> constant(i) != null)) {
            return new Ast.SetLit(items, line);
        }
        TreeSet<Value> vs = new TreeSet<>();
        items.forEach(i -> vs.add(constant(i)));
        return new Ast.Scalar(Values.set(vs), line);
    }

    static Ast.Term object(List<Ast.KV> entries, int line) {
        if (!entries.stream().allMatch(kv -> kv.key() instanceof Ast.Scalar && constant(kv.value()) != null)) {
            return new Ast.ObjectLit(entries, line);
        }
        TreeMap<Value, Value> m = new IndexedMap();
        for (Ast.KV kv : entries) {
            Value k = ((Ast.Scalar) kv.key()).value();
            Value v = constant(kv.value());
            Value prev = m.put(k, v);
            if (prev != null && !prev.equals(v)) {
                // duplicate keys with different values are an evaluation-time conflict; keep the literal
                return new Ast.ObjectLit(entries, line);
            }
        }
        return new Ast.Scalar(Values.obj(m), line);
    }
}
