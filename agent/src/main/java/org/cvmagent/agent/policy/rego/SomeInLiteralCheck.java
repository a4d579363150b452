package org.cvmagent.agent.policy.rego;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * regorus's compile-time check of `some pattern in [literal, ...]`: the pattern's array and object
 * shapes are compared with each item of an array literal, and when no item can fit (every one has
 * a different array length or set of literal keys, none undecidable) the module does not compile.
 * An item is undecidable as soon as a comparison reaches anything but an array or object on both
 * sides, e.g. the scalar 1 in [1] against [1]: `some [1] in [[1, 2], [1]]` compiles.
 */
final class SomeInLiteralCheck {
    private enum Fit { MATCH, UNKNOWN, MISMATCH }

    private SomeInLiteralCheck() {
    }

    /** Throws the first mismatch when coll is an array literal none of whose items can fit pattern. */
    static void check(Ast.Term pattern, Ast.Term coll, ExprParser at, Token t) throws RegoException {
        List<Ast.Term> items = arrayItems(coll);
        if (items == null) {
            return;
        }
        String firstMismatch = null;
        for (Ast.Term item : items) {
            String[] why = new String[1];
            Fit fit = fit(pattern, item, why);
            if (fit != Fit.MISMATCH) {
                return;
            }
            firstMismatch = firstMismatch == null ? why[0] : firstMismatch;
        }
        if (firstMismatch != null) {
            throw at.error(t, firstMismatch);
        }
    }

    private static Fit fit(Ast.Term pattern, Ast.Term item, String[] why) {
        List<Ast.Term> p = arrayItems(pattern);
        List<Ast.Term> a = arrayItems(item);
        if (p != null && a != null) {
            if (p.size() != a.size()) {
                why[0] = "mismatch in number of array elements";
                return Fit.MISMATCH;
            }
            return all(p, a, why);
        }
        List<Ast.KV> po = objectEntries(pattern);
        List<Ast.KV> o = objectEntries(item);
        if (po != null && o != null) {
            return objectFit(po, o, why);
        }
        return Fit.UNKNOWN;
    }

    /** An array's items, whether written out or already a constant (the parser makes [1] a constant). */
    private static List<Ast.Term> arrayItems(Ast.Term t) {
        if (t instanceof Ast.ArrayLit a) {
            return a.items();
        }
        if (t instanceof Ast.Scalar s && s.value() instanceof Value.Arr arr) {
            return arr.items().stream().map(v -> (Ast.Term) new Ast.Scalar(v, s.line())).toList();
        }
        return null;
    }

    private static List<Ast.KV> objectEntries(Ast.Term t) {
        if (t instanceof Ast.ObjectLit o) {
            return o.entries();
        }
        if (t instanceof Ast.Scalar s && s.value() instanceof Value.Obj obj) {
            return obj.map().entrySet().stream()
                    .map(e -> new Ast.KV(new Ast.Scalar(e.getKey(), s.line()), new Ast.Scalar(e.getValue(), s.line())))
                    .toList();
        }
        return null;
    }

    private static Fit all(List<Ast.Term> patterns, List<Ast.Term> items, String[] why) {
        for (int i = 0; i < patterns.size(); i++) {
            Fit f = fit(patterns.get(i), items.get(i), why);
            if (f != Fit.MATCH) {
                return f;
            }
        }
        return Fit.MATCH;
    }

    /** Objects: only a pattern whose keys are all literals is compared, by its set of keys, then field by field. */
    private static Fit objectFit(List<Ast.KV> p, List<Ast.KV> o, String[] why) {
        if (p.isEmpty()) {
            return Fit.MATCH;
        }
        Set<Value> want = new HashSet<>();
        for (Ast.KV kv : p) {
            if (!(kv.key() instanceof Ast.Scalar s)) {
                return Fit.UNKNOWN;
            }
            want.add(s.value());
        }
        Set<Value> have = new HashSet<>();
        for (Ast.KV kv : o) {
            if (kv.key() instanceof Ast.Scalar s) {
                have.add(s.value());
            }
        }
        if (!want.equals(have)) {
            why[0] = "object literal keys mismatch";
            return Fit.MISMATCH;
        }
        for (Ast.KV kv : p) {
            Value key = ((Ast.Scalar) kv.key()).value();
            for (Ast.KV item : o) {
                if (item.key() instanceof Ast.Scalar s && s.value().equals(key)) {
                    Fit f = fit(kv.value(), item.value(), why);
                    if (f != Fit.MATCH) {
                        return f;
                    }
                }
            }
        }
        return Fit.MATCH;
    }
}
