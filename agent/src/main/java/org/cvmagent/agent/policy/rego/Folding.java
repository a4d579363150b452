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

    static Ast.Term array(List<Ast.Term> items, int line) {
        if (!items.stream().allMatch(i -> i instanceof Ast.Scalar)) {
            return new Ast.ArrayLit(items, line);
        }
        List<Value> vs = new ArrayList<>(items.size());
        items.forEach(i -> vs.add(((Ast.Scalar) i).value()));
        return new Ast.Scalar(Values.arr(vs), line);
    }

    static Ast.Term set(List<Ast.Term> items, int line) {
        if (!items.stream().allMatch(i -> i instanceof Ast.Scalar)) {
            return new Ast.SetLit(items, line);
        }
        TreeSet<Value> vs = new TreeSet<>();
        items.forEach(i -> vs.add(((Ast.Scalar) i).value()));
        return new Ast.Scalar(Values.set(vs), line);
    }

    static Ast.Term object(List<Ast.KV> entries, int line) {
        if (!entries.stream().allMatch(kv -> kv.key() instanceof Ast.Scalar && kv.value() instanceof Ast.Scalar)) {
            return new Ast.ObjectLit(entries, line);
        }
        TreeMap<Value, Value> m = new TreeMap<>();
        for (Ast.KV kv : entries) {
            Value k = ((Ast.Scalar) kv.key()).value();
            Value v = ((Ast.Scalar) kv.value()).value();
            Value prev = m.put(k, v);
            if (prev != null && !prev.equals(v)) {
                // duplicate keys with different values are an evaluation-time conflict; keep the literal
                return new Ast.ObjectLit(entries, line);
            }
        }
        return new Ast.Scalar(Values.obj(m), line);
    }
}
