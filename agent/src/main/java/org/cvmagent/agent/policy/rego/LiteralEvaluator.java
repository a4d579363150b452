package org.cvmagent.agent.policy.rego;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Literals: expressions, `some` declarations and `some ... in`, `every`, and `with` modifiers. */
abstract class LiteralEvaluator extends RuleEvaluator {
    LiteralEvaluator(RuleTree tree, Builtins builtins, QueryState st, boolean strict) {
        super(tree, builtins, st, strict);
    }

    boolean evalLit(Ast.Lit lit, Env env, BodyK k) throws RegoException {
        st.budget.step();
        // instanceof tests in order of frequency: a pattern switch dispatches through a bootstrap
        // method, which profiles showed on this, the hottest path
        if (lit instanceof Ast.ExprLit x) {
            return x.withs().isEmpty() ? evalExprLit(x, env, k) : evalWith(x, env, k);
        }
        if (lit instanceof Ast.SomeIn s) {
            return evalSomeIn(s, env, k);
        }
        if (lit instanceof Ast.Every ev) {
            return evalEvery(ev, env, k);
        }
        return declareSome((Ast.SomeDecl) lit, env, k);
    }

    boolean evalSomeIn(Ast.SomeIn s, Env env, BodyK k) throws RegoException {
        if (directable(s.coll(), env)) {
            Value coll = direct(s.coll(), env);
            return coll == null || someIn(s, coll, env, k);
        }
        return evalTerm(s.coll(), env, (coll, e) -> someIn(s, coll, e, k));
    }

    boolean someIn(Ast.SomeIn s, Value coll, Env e, BodyK k) throws RegoException {
        if (strict && !(coll instanceof Value.Arr || coll instanceof Value.Obj || coll instanceof Value.SetV)) {
            throw new RegoException("eval_type_error: `some .. in collection` expects array/set/object, got "
                    + Values.typeName(coll) + " (line " + s.line() + ")");
        }
        // `some x in xs` and `some k, x in xs` with fresh names bind their slots directly
        if (s.value() instanceof Ast.Var xv && !xv.wildcard()) {
            if (s.key() == null && coll instanceof Value.Arr arr) {
                return eachItem(arr.items(), xv.slot(), e, k);
            }
            if (s.key() == null) {
                return iterate(coll, (key, val) -> bound(e, xv.slot(), val, k));
            }
            if (s.key() instanceof Ast.Var kv && !kv.wildcard() && !kv.name().equals(xv.name())) {
                return iterate(coll, (key, val) -> {
                    Value oldKey = e.set(kv.slot(), key);
                    Value oldVal = e.set(xv.slot(), val);
                    try {
                        return k.accept(e);
                    } finally {
                        e.reset(xv.slot(), oldVal);
                        e.reset(kv.slot(), oldKey);
                    }
                });
            }
        }
        return iterate(coll, (key, val) -> {
            checkArrayPattern(s.value(), val, s.line());
            Value[] saved = e.save();
            try {
                declare(s.key(), e);
                declare(s.value(), e);
                return bindPattern(s.value(), val, e, d2 -> s.key() == null ? k.accept(d2)
                        : bindPattern(s.key(), key, d2, k));
            } finally {
                e.restore(saved);
            }
        });
    }

    /**
     * `some x in array` with x fresh: x takes each item in turn, without a continuation per item;
     * no code runs between one item's solutions and the next binding, so x is reset once at the end.
     */
    boolean eachItem(List<Value> items, int slot, Env env, BodyK k) throws RegoException {
        Value old = env.get(slot);
        try {
            for (int i = 0; i < items.size(); i++) {
                st.budget.step();
                env.set(slot, items.get(i));
                if (!k.accept(env)) {
                    return false;
                }
            }
            return true;
        } finally {
            env.reset(slot, old);
        }
    }

    /**
     * {@code some [a, b] in xs} over an element of another length is an error, not a miss, as regorus
     * has it: regorus matches item by item, so a constant that differs first makes it a plain miss.
     */
    static void checkArrayPattern(Ast.Term pattern, Value val, int line) throws RegoException {
        // a wholly constant pattern ([1]) is folded into a scalar and compared as a value, no error
        if (!(pattern instanceof Ast.ArrayLit a && val instanceof Value.Arr arr)
                || a.items().size() == arr.items().size()) {
            return;
        }
        List<Ast.Term> items = a.items();
        for (int i = 0; i < Math.min(items.size(), arr.items().size()); i++) {
            if (items.get(i) instanceof Ast.Scalar c && !c.value().equals(arr.items().get(i))) {
                return;
            }
        }
        throw new RegoException("eval_type_error: mismatch in number of array elements: pattern has "
                + items.size() + ", value has " + arr.items().size() + " (line " + line + ")");
    }

    static boolean declareSome(Ast.SomeDecl s, Env env, BodyK k) throws RegoException {
        Value[] saved = env.save();
        try {
            for (int slot : s.slots()) {
                if (slot != Ast.Var.WILDCARD) {
                    env.set(slot, Env.UNBOUND);
                }
            }
            return k.accept(env);
        } finally {
            env.restore(saved);
        }
    }

    /**
     * `every x in xs` and `every k, x in xs` with plain variables over a single-valued domain: the
     * variables take each entry in turn (a declaration followed by a binding, as for any pattern,
     * comes to the same) until the body fails for one.
     */
    boolean everyItemHolds(Ast.Every ev, Ast.Var value, Ast.Var key, Value dom, Env env)
            throws RegoException {
        if (!(dom instanceof Value.Arr || dom instanceof Value.Obj || dom instanceof Value.SetV)) {
            return false;
        }
        Value oldValue = env.get(value.slot());
        Value oldKey = key == null ? null : env.get(key.slot());
        try {
            return iterate(dom, (k, v) -> {
                if (key != null) {
                    env.set(key.slot(), k);
                }
                env.set(value.slot(), v);
                return hasSolution(ev.body(), env);
            });
        } finally {
            env.reset(value.slot(), oldValue);
            if (key != null) {
                env.reset(key.slot(), oldKey);
            }
        }
    }

    boolean hasSolution(List<Ast.Lit> body, Env env) throws RegoException {
        boolean[] found = {false};
        evalBody(body, 0, env, e -> {
            found[0] = true;
            return false;
        });
        return found[0];
    }

    boolean evalEvery(Ast.Every ev, Env env, BodyK k) throws RegoException {
        return !everyHolds(ev, env) || k.accept(env);
    }

    boolean everyHolds(Ast.Every ev, Env env) throws RegoException {
        if (ev.value() instanceof Ast.Var xv && !xv.wildcard() && (ev.key() == null
                || ev.key() instanceof Ast.Var kv && !kv.wildcard() && kv.slot() != xv.slot())
                && directable(ev.domain(), env)) {
            return everyItemHolds(ev, xv, (Ast.Var) ev.key(), direct(ev.domain(), env), env);
        }
        boolean[] all = {true};
        boolean[] defined = {false};
        evalTerm(ev.domain(), env, (dom, e) -> {
            defined[0] = dom instanceof Value.Arr || dom instanceof Value.Obj || dom instanceof Value.SetV;
            return iterate(dom, (key, val) -> {
                boolean[] found = {false};
                Value[] saved = e.save();
                try {
                    declare(ev.key(), e);
                    declare(ev.value(), e);
                    bindPattern(ev.value(), val, e, d2 -> {
                        BodyK body = d3 -> evalBody(ev.body(), 0, d3, d4 -> {
                            found[0] = true;
                            return false;
                        });
                        return ev.key() == null ? body.accept(d2) : bindPattern(ev.key(), key, d2, body);
                    });
                } finally {
                    e.restore(saved);
                }
                if (!found[0]) {
                    all[0] = false;
                }
                return found[0];
            });
        });
        return defined[0] && all[0];
    }

    boolean evalWith(Ast.ExprLit x, Env env, BodyK k) throws RegoException {
        Value input = st.input;
        Value data = st.data;
        Set<List<String>> masked = new HashSet<>(st.masked);
        Map<Object, Object> mocks = new java.util.HashMap<>(st.mocks);
        for (Ast.With w : x.withs()) {
            String targetName = dottedName(w.target());
            RuleTree.Node fnTarget = targetName == null ? null : resolveFunction(targetName, env);
            if (fnTarget != null || (targetName != null && builtins.get(targetName) != null)) {
                // replacing a function: by another function, a builtin, or a constant value
                String replName = dottedName(w.value());
                Object repl = replName == null ? null : resolveFunction(replName, env);
                if (repl == null && replName != null) {
                    repl = builtins.get(replName);
                }
                if (repl == null) {
                    repl = single(w.value(), env);
                    if (repl == null) {
                        return true;
                    }
                }
                mocks.put(fnTarget != null ? fnTarget : targetName, repl);
                continue;
            }
            Value v = single(w.value(), env);
            if (v == null) {
                return true;
            }
            List<String> target = withTarget(w.target(), env);
            if (target.get(0).equals("input")) {
                input = target.size() == 1 ? v : Patch.put(input == null ? Values.EMPTY_OBJ : input,
                        target.subList(1, target.size()), v);
            } else {
                if (target.size() == 1) {
                    throw new RegoException("with: cannot replace all of data");
                }
                data = Patch.put(data, target.subList(1, target.size()), v);
                masked.add(List.copyOf(target));
            }
        }
        QueryState outer = st;
        QueryState inner = new QueryState(input, data, masked, mocks, outer.budget, outer.prints);
        Ast.ExprLit plain = new Ast.ExprLit(x.expr(), x.negated(), List.of(), x.line());
        st = inner;
        try {
            return evalExprLit(plain, env, e -> {
                st = outer;
                try {
                    return k.accept(e);
                } finally {
                    st = inner;
                }
            });
        } finally {
            st = outer;
        }
    }

    /** "a.b.c" for a plain dotted reference, else null. */
    static String dottedName(Ast.Term t) {
        if (t instanceof Ast.Var v) {
            return v.name();
        }
        if (t instanceof Ast.Ref r && r.head() instanceof Ast.Var v) {
            StringBuilder sb = new StringBuilder(v.name());
            for (Ast.Term p : r.path()) {
                if (!(p instanceof Ast.Scalar sc && sc.value() instanceof Value.Str str)) {
                    return null;
                }
                sb.append('.').append(str.value());
            }
            return sb.toString();
        }
        return null;
    }

    List<String> withTarget(Ast.Term t, Env env) throws RegoException {
        List<String> path = new ArrayList<>();
        Ast.Term head = t instanceof Ast.Ref r ? r.head() : t;
        if (!(head instanceof Ast.Var v)) {
            throw new RegoException("with: target must be a reference to input or data");
        }
        List<String> alias = env.module() == null ? null : env.module().imports().get(v.name());
        if (v.name().equals("input") || v.name().equals("data")) {
            path.add(v.name());
        } else if (alias != null) {
            path.addAll(alias);
        } else {
            throw new RegoException("with: target must be input or data, not " + v.name());
        }
        if (t instanceof Ast.Ref r) {
            for (Ast.Term s : r.path()) {
                if (!(s instanceof Ast.Scalar sc && sc.value() instanceof Value.Str str)) {
                    throw new RegoException("with: target path must be constant strings");
                }
                path.add(str.value());
            }
        }
        return path;
    }

    boolean evalExprLit(Ast.ExprLit x, Env env, BodyK k) throws RegoException {
        if (x.negated()) {
            boolean[] found = {false};
            evalPositive(x.expr(), env, e -> {
                found[0] = true;
                return false;
            });
            return found[0] || k.accept(env);
        }
        return evalPositive(x.expr(), env, k);
    }

    boolean evalPositive(Ast.Term t, Env env, BodyK k) throws RegoException {
        if (t instanceof Ast.Binary b && b.op().equals("=")) {
            return unify(b.left(), b.right(), env, k);
        }
        if (t instanceof Ast.Binary b && b.op().equals(":=")) {
            if (b.left() instanceof Ast.Var x && !x.wildcard()) {
                // `x := expr`: x is fresh, so it binds directly (no declaration first)
                if (directable(b.right(), env)) {
                    Value v = direct(b.right(), env);
                    return v == null || bound(env, x.slot(), v, k);
                }
                return evalTerm(b.right(), env, (v, e) -> bound(e, x.slot(), v, k));
            }
            return evalTerm(b.right(), env, (v, e) -> {
                Value[] saved = e.save();
                try {
                    declare(b.left(), e);
                    return bindPattern(b.left(), v, e, k);
                } finally {
                    e.restore(saved);
                }
            });
        }
        if (directable(t, env)) {
            Value v = direct(t, env);
            return v == null || v.equals(Value.FALSE) || k.accept(env);
        }
        return evalTerm(t, env, (v, e) -> v.equals(Value.FALSE) || k.accept(e));
    }

}
