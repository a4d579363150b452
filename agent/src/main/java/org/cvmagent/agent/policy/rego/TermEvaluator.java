package org.cvmagent.agent.policy.rego;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Top-down evaluation with backtracking: every term, literal and body hands each of its solutions
 * to a continuation, which answers whether to keep searching. This layer evaluates terms (refs,
 * collections, comprehensions, operators) and unifies them; the layers above add direct
 * evaluation, rules and calls, literals and bodies, ending in {@link Evaluator}.
 */
abstract class TermEvaluator {
    /** Receives one value of a term with the bindings that produced it. */
    interface K {
        boolean accept(Value v, Env env) throws RegoException;
    }

    /** Receives one solution of a body or literal. */
    interface BodyK {
        boolean accept(Env env) throws RegoException;
    }

    final RuleTree tree;
    final Builtins builtins;
    final boolean strict;
    QueryState st;

    TermEvaluator(RuleTree tree, Builtins builtins, QueryState st, boolean strict) {
        this.tree = tree;
        this.builtins = builtins;
        this.st = st;
        this.strict = strict;
    }

    /** Runs a builtin; outside strict mode a rejected operand makes the call undefined, as in OPA. */
    Value builtin(Builtins.Builtin b, List<Value> args) throws RegoException {
        if (strict) {
            return b.call(args, st.budget);
        }
        try {
            return b.call(args, st.budget);
        } catch (BuiltinError e) {
            return null;
        }
    }

    /** An infix operator, undefined on rejected operands outside strict mode like a builtin. */
    Value binaryOp(String op, Value l, Value r) throws RegoException {
        if (strict) {
            return Operators.binary(op, l, r);
        }
        try {
            return Operators.binary(op, l, r);
        } catch (BuiltinError e) {
            return null;
        }
    }


    static final Value[] NO_ARGS = {};

    // ---- unification

    /** Whether t is a variable with no value yet, which a unification may bind. */
    boolean unbound(Ast.Term t, Env env) {
        if (!(t instanceof Ast.Var v)) {
            return false;
        }
        if (v.wildcard()) {
            return true;
        }
        Value b = env.get(v.slot());
        if (b == Env.UNBOUND) {
            return true;
        }
        return b == null && v.global() == Ast.Global.NONE;
    }

    boolean isPattern(Ast.Term t, Env env) {
        return switch (t) {
            case Ast.Var v -> unbound(v, env);
            case Ast.ArrayLit a -> a.items().stream().anyMatch(i -> isPattern(i, env));
            case Ast.ObjectLit o -> o.entries().stream().anyMatch(kv -> isPattern(kv.value(), env));
            default -> false;
        };
    }

    /** Shape of a collection literal: an array's length, an object's key set; null for other terms. */
    static Object literalShape(Ast.Term t) {
        return switch (t) {
            case Ast.ArrayLit a -> a.items().size();
            case Ast.ObjectLit o -> o.entries().stream().allMatch(kv -> kv.key() instanceof Ast.Scalar)
                    ? o.entries().stream().map(kv -> ((Ast.Scalar) kv.key()).value()).collect(
                            java.util.stream.Collectors.toCollection(TreeSet::new)) : null;
            case Ast.Scalar s when s.value() instanceof Value.Arr arr -> arr.items().size();
            case Ast.Scalar s when s.value() instanceof Value.Obj obj -> new TreeSet<>(obj.map().keySet());
            default -> null;
        };
    }

    /** Two collection literals that can never unify are a mistake in the policy, reported as regorus does. */
    static void checkShapes(Ast.Term a, Ast.Term b) throws RegoException {
        if (!(a instanceof Ast.ArrayLit || a instanceof Ast.ObjectLit || b instanceof Ast.ArrayLit
                || b instanceof Ast.ObjectLit)) {
            return;
        }
        Object sa = literalShape(a);
        Object sb = literalShape(b);
        if (sa == null || sb == null) {
            return;
        }
        if (sa.getClass() != sb.getClass()) {
            throw new RegoException("rego_type_error: incompatible destructuring patterns: both sides must be arrays "
                    + "or objects with matching structure (line " + a.line() + ")");
        }
        if (!sa.equals(sb)) {
            throw new RegoException(sa instanceof Integer
                    ? "rego_type_error: mismatch in number of array elements (line " + a.line() + ")"
                    : "rego_type_error: object literal keys mismatch (line " + a.line() + ")");
        }
    }

    boolean unify(Ast.Term a, Ast.Term b, Env env, BodyK k) throws RegoException {
        checkShapes(a, b);
        if (a instanceof Ast.ArrayLit la && b instanceof Ast.ArrayLit lb && (isPattern(a, env) || isPattern(b, env))) {
            if (la.items().size() != lb.items().size()) {
                return true;
            }
            return unifyAll(la.items(), lb.items(), 0, env, k);
        }
        if (isPattern(a, env)) {
            if (isPattern(b, env)) {
                throw new UnsafeVarError("var " + describe(a) + " is unsafe: both sides of = are unbound");
            }
            if (directable(b, env)) {
                Value v = direct(b, env);
                return v == null || bindPattern(a, v, env, k);
            }
            return evalTerm(b, env, (v, e) -> bindPattern(a, v, e, k));
        }
        if (isPattern(b, env)) {
            if (directable(a, env)) {
                Value v = direct(a, env);
                return v == null || bindPattern(b, v, env, k);
            }
            return evalTerm(a, env, (v, e) -> bindPattern(b, v, e, k));
        }
        if (directable(a, env) && directable(b, env)) {
            Value va = direct(a, env);
            Value vb = va == null ? null : direct(b, env);
            return vb == null || !va.equals(vb) || k.accept(env);
        }
        return evalTerm(a, env, (va, e) -> evalTerm(b, e, (vb, e2) -> !va.equals(vb) || k.accept(e2)));
    }

    static String describe(Ast.Term t) {
        return t instanceof Ast.Var v ? v.name() : "pattern";
    }

    boolean unifyAll(List<Ast.Term> as, List<Ast.Term> bs, int i, Env env, BodyK k) throws RegoException {
        if (i == as.size()) {
            return k.accept(env);
        }
        return unify(as.get(i), bs.get(i), env, e -> unifyAll(as, bs, i + 1, e, k));
    }

    /** Matches value v against pattern t, binding t's unbound variables. */
    boolean bindPattern(Ast.Term t, Value v, Env env, BodyK k) throws RegoException {
        switch (t) {
            case Ast.Var var -> {
                if (var.wildcard()) {
                    return k.accept(env);
                }
                if (unbound(var, env)) {
                    return bound(env, var.slot(), v, k);
                }
                return evalTerm(var, env, (x, e) -> !x.equals(v) || k.accept(e));
            }
            case Ast.ArrayLit a -> {
                if (!(v instanceof Value.Arr arr) || arr.items().size() != a.items().size()) {
                    return true;
                }
                return bindItems(a.items(), arr.items(), 0, env, k);
            }
            case Ast.ObjectLit o -> {
                if (!(v instanceof Value.Obj obj) || obj.map().size() != o.entries().size()) {
                    return true;
                }
                return bindEntries(o.entries(), obj, 0, env, k);
            }
            default -> {
                return evalTerm(t, env, (x, e) -> !x.equals(v) || k.accept(e));
            }
        }
    }

    boolean bindItems(List<Ast.Term> ts, List<Value> vs, int i, Env env, BodyK k) throws RegoException {
        if (i == ts.size()) {
            return k.accept(env);
        }
        return bindPattern(ts.get(i), vs.get(i), env, e -> bindItems(ts, vs, i + 1, e, k));
    }

    boolean bindEntries(List<Ast.KV> kvs, Value.Obj obj, int i, Env env, BodyK k) throws RegoException {
        if (i == kvs.size()) {
            return k.accept(env);
        }
        return evalTerm(kvs.get(i).key(), env, (key, e) -> {
            Value v = obj.map().get(key);
            return v == null || bindPattern(kvs.get(i).value(), v, e, e2 -> bindEntries(kvs, obj, i + 1, e2, k));
        });
    }

    // ---- terms

    /** The single value of t, or null when undefined; for `with` values. */
    Value single(Ast.Term t, Env env) throws RegoException {
        Value[] out = new Value[1];
        evalTerm(t, env, (v, e) -> {
            out[0] = v;
            return false;
        });
        return out[0];
    }

    boolean evalTerm(Ast.Term t, Env env, K k) throws RegoException {
        if (t instanceof Ast.Scalar s) {
            return k.accept(s.value(), env);
        }
        if (t instanceof Ast.Var v) {
            return evalVar(v, List.of(), env, k);
        }
        if (t instanceof Ast.Ref r) {
            return r.head() instanceof Ast.Var v ? evalVar(v, r.path(), env, k)
                    : evalTerm(r.head(), env, (hv, e) -> select(hv, r.path(), 0, e, k));
        }
        if (t instanceof Ast.Call c) {
            return evalCall(c, env, k);
        }
        return switch (t) {
            case Ast.ArrayLit a -> evalList(a.items(), env,
                    (vals, e) -> k.accept(Values.arr(vals), e));
            case Ast.SetLit s -> evalList(s.items(), env,
                    (vals, e) -> k.accept(Values.set(new TreeSet<>(vals)), e));
            case Ast.ObjectLit o -> evalObject(o.entries(), 0, new Value[o.entries().size()],
                    new Value[o.entries().size()], env, k);
            case Ast.ArrayCompr c -> {
                List<Value> out = new ArrayList<>();
                evalBody(c.body(), 0, env, e -> evalTerm(c.head(), e, (v, e2) -> {
                    out.add(v);
                    st.budget.step();
                    return true;
                }));
                yield k.accept(Values.arr(out), env);
            }
            case Ast.SetCompr c -> {
                TreeSet<Value> out = new TreeSet<>();
                evalBody(c.body(), 0, env, e -> evalTerm(c.head(), e, (v, e2) -> {
                    out.add(v);
                    st.budget.step();
                    return true;
                }));
                yield k.accept(Values.set(out), env);
            }
            case Ast.ObjectCompr c -> {
                TreeMap<Value, Value> out = new TreeMap<>();
                evalBody(c.body(), 0, env, e -> evalTerm(c.key(), e, (kv, e2) -> evalTerm(c.value(), e2, (vv, e3) -> {
                    Value prev = out.put(kv, vv);
                    if (prev != null && !prev.equals(vv)) {
                        throw new RegoException("eval_conflict_error: object keys must be unique");
                    }
                    st.budget.step();
                    return true;
                })));
                yield k.accept(Values.obj(out), env);
            }
            case Ast.Binary b -> evalBinary(b, env, k);
            case Ast.Neg n -> evalTerm(n.operand(), env, (v, e) -> {
                Value r = binaryOp("-", Value.num(0), v);
                return r == null || k.accept(r, e);
            });
            case Ast.In in -> evalIn(in, env, k);
            default -> throw new IllegalStateException("term " + t);
        };
    }

    interface ListK {
        boolean accept(List<Value> vals, Env env) throws RegoException;
    }

    boolean evalList(List<Ast.Term> ts, Env env, ListK k) throws RegoException {
        return evalItems(ts, 0, new Value[ts.size()], env, k);
    }

    /** Fills acc[i..] with one value per term; each solution gets its own copy of the array. */
    boolean evalItems(List<Ast.Term> ts, int i, Value[] acc, Env env, ListK k) throws RegoException {
        // constants and bound locals (most builtin arguments) fill their slot without a continuation
        while (i < acc.length) {
            Value direct = groundValue(ts.get(i), env);
            if (direct == null) {
                break;
            }
            acc[i++] = direct;
        }
        if (i == acc.length) {
            return k.accept(java.util.Arrays.asList(acc.clone()), env);
        }
        int at = i;
        return evalTerm(ts.get(at), env, (v, e) -> {
            acc[at] = v;
            return evalItems(ts, at + 1, acc, e, k);
        });
    }

    /**
     * Evaluates the entries of an object literal into parallel arrays and builds the map once per
     * solution: a later duplicate key wins, as it would in a map filled in written order.
     */
    boolean evalObject(List<Ast.KV> kvs, int i, Value[] keys, Value[] vals, Env env, K k)
            throws RegoException {
        if (i == kvs.size()) {
            TreeMap<Value, Value> m = new TreeMap<>();
            for (int j = 0; j < keys.length; j++) {
                m.put(keys[j], vals[j]);
            }
            return k.accept(Values.obj(m), env);
        }
        return evalTerm(kvs.get(i).key(), env, (key, e) -> evalTerm(kvs.get(i).value(), e, (val, e2) -> {
            keys[i] = key;
            vals[i] = val;
            return evalObject(kvs, i + 1, keys, vals, e2, k);
        }));
    }

    boolean evalVar(Ast.Var v, List<Ast.Term> path, Env env, K k) throws RegoException {
        String name = v.name();
        Value b = env.get(v.slot());
        if (b != null && b != Env.UNBOUND) {
            return select(b, path, 0, env, k);
        }
        if (b == null && !v.wildcard()) {
            switch (v.global()) {
                case INPUT -> {
                    return st.input == null || select(st.input, path, 0, env, k);
                }
                case DATA -> {
                    return evalData(path, 0, env, k);
                }
                case RULE -> {
                    return walk(v.rule(), baseAt(v.rule().path), path, 0, env, k);
                }
                case IMPORT -> {
                    return evalAbsolute(env.module().imports().get(name), path, env, k);
                }
                case NONE -> {
                }
            }
        }
        throw new UnsafeVarError("rego_unsafe_var_error: var " + (v.wildcard() ? "_" : name) + " is unsafe (line "
                + v.line() + ")");
    }

    /** The base data document at an absolute path, or null. */
    Value baseAt(List<String> path) {
        Value v = st.data;
        for (int i = 1; i < path.size() && v != null; i++) {
            v = lookup(v, Value.str(path.get(i)));
        }
        return v;
    }

    boolean evalAbsolute(List<String> abs, List<Ast.Term> path, Env env, K k) throws RegoException {
        List<Ast.Term> full = new ArrayList<>(abs.size() - 1 + path.size());
        for (int i = 1; i < abs.size(); i++) {
            full.add(new Ast.Scalar(Value.str(abs.get(i)), 0));
        }
        full.addAll(path);
        if (abs.get(0).equals("input")) {
            return st.input == null || select(st.input, full, 0, env, k);
        }
        return evalData(full, 0, env, k);
    }

    /** Applies the selectors path[i..] to v, iterating where a selector is an unbound variable. */
    boolean select(Value v, List<Ast.Term> path, int i, Env env, K k) throws RegoException {
        if (i == path.size()) {
            return k.accept(v, env);
        }
        Ast.Term sel = path.get(i);
        if (sel instanceof Ast.Scalar s) {
            Value next = lookup(v, s.value());
            return next == null || select(next, path, i + 1, env, k);
        }
        if (sel instanceof Ast.Var var && !var.wildcard()) {
            // the common x[i] with i bound: one lookup of i, no continuation for its value
            Value key = env.get(var.slot());
            if (key != null && key != Env.UNBOUND) {
                Value next = lookup(v, key);
                return next == null || select(next, path, i + 1, env, k);
            }
        }
        if (isPattern(sel, env)) {
            return iterate(v, (key, val) -> bindPattern(sel, key, env, e -> select(val, path, i + 1, e, k)));
        }
        return evalTerm(sel, env, (key, e) -> {
            Value next = lookup(v, key);
            return next == null || select(next, path, i + 1, e, k);
        });
    }

    static Value lookup(Value v, Value key) {
        if (v instanceof Value.Obj o) {
            return o.map().get(key);
        }
        return switch (v) {
            case Value.Arr a -> {
                if (key instanceof Value.Num n && Values.isInteger(n.value())) {
                    BigDecimal d = n.value();
                    // below 2^31 fits an int index; anything larger is past the end of any array
                    if (d.signum() >= 0 && d.precision() - d.scale() <= 9 && d.intValue() < a.items().size()) {
                        yield a.items().get(d.intValue());
                    }
                }
                yield null;
            }
            case Value.SetV s -> s.items().contains(key) ? key : null;
            default -> null;
        };
    }

    interface EntryK {
        boolean accept(Value key, Value val) throws RegoException;
    }

    boolean iterate(Value coll, EntryK k) throws RegoException {
        switch (coll) {
            case Value.Arr a -> {
                for (int i = 0; i < a.items().size(); i++) {
                    st.budget.step();
                    if (!k.accept(Value.num(i), a.items().get(i))) {
                        return false;
                    }
                }
            }
            case Value.Obj o -> {
                for (Map.Entry<Value, Value> e : o.map().entrySet()) {
                    st.budget.step();
                    if (!k.accept(e.getKey(), e.getValue())) {
                        return false;
                    }
                }
            }
            case Value.SetV s -> {
                for (Value e : s.items()) {
                    st.budget.step();
                    if (!k.accept(e, e)) {
                        return false;
                    }
                }
            }
            default -> {
            }
        }
        return true;
    }

    // ---- operators

    boolean evalBinary(Ast.Binary b, Env env, K k) throws RegoException {
        if (b.op().equals("or")) {
            return evalOr(b, env, k);
        }
        if (b.op().equals("=") || b.op().equals(":=")) {
            return evalPositive(b, env, e -> k.accept(Value.TRUE, e));
        }
        return evalTerm(b.left(), env, (l, e) -> evalTerm(b.right(), e, (r, e2) -> {
            Value v = binaryOp(b.op(), l, r);
            return v == null || k.accept(v, e2);
        }));
    }

    /**
     * regorus's `a or b`: a's value unless a is false, null or undefined, then b's. Undefined
     * counts, so a is searched for a value first and b evaluated when it has none.
     */
    boolean evalOr(Ast.Binary b, Env env, K k) throws RegoException {
        boolean[] defined = {false};
        boolean more = evalTerm(b.left(), env, (l, e) -> {
            defined[0] = true;
            return l.equals(Value.FALSE) || l.equals(Value.NULL) ? evalTerm(b.right(), e, k) : k.accept(l, e);
        });
        return !more || defined[0] || evalTerm(b.right(), env, k);
    }

    boolean evalIn(Ast.In in, Env env, K k) throws RegoException {
        return evalTerm(in.coll(), env, (coll, e) -> {
            if (in.key() == null) {
                return evalTerm(in.value(), e, (v, e2) -> k.accept(Value.bool(Operators.member(v, coll)), e2));
            }
            return evalTerm(in.key(), e, (key, e2) -> evalTerm(in.value(), e2, (v, e3) -> {
                Value at = lookup(coll, key);
                boolean found = at != null && at.equals(v) && !(coll instanceof Value.SetV);
                return k.accept(Value.bool(found), e3);
            }));
        });
    }

    static int arity(RuleTree.Node fn) {
        return fn.rules.isEmpty() ? fn.defaultRule.args().size() : fn.rules.get(0).args().size();
    }

    /** Binds a slot for the continuation only: the old value is back once k returns or throws. */
    static boolean bound(Env env, int slot, Value v, BodyK k) throws RegoException {
        Value old = env.set(slot, v);
        try {
            return k.accept(env);
        } finally {
            env.reset(slot, old);
        }
    }

    /** Declares the variables of a pattern; the caller saves the frame before and restores it after. */
    static void declare(Ast.Term t, Env env) {
        if (t == null) {
            return;
        }
        switch (t) {
            case Ast.Var v -> {
                if (!v.wildcard()) {
                    env.set(v.slot(), Env.UNBOUND);
                }
            }
            case Ast.ArrayLit a -> {
                for (Ast.Term i : a.items()) {
                    declare(i, env);
                }
            }
            case Ast.ObjectLit o -> {
                for (Ast.KV kv : o.entries()) {
                    declare(kv.value(), env);
                }
            }
            default -> {
            }
        }
    }

    /** The value of a constant or of a bound local variable, without a continuation; else null. */
    static Value groundValue(Ast.Term t, Env env) {
        if (t instanceof Ast.Scalar s) {
            return s.value();
        }
        if (t instanceof Ast.Var v && !v.wildcard()) {
            Value b = env.get(v.slot());
            return b == Env.UNBOUND ? null : b;
        }
        return null;
    }

    // ---- implemented by the layers above: literals and bodies, direct evaluation, rules and calls

    abstract boolean evalBody(List<Ast.Lit> body, int i, Env env, BodyK k) throws RegoException;

    abstract boolean evalPositive(Ast.Term t, Env env, BodyK k) throws RegoException;

    abstract boolean directable(Ast.Term t, Env env);

    abstract Value direct(Ast.Term t, Env env) throws RegoException;

    abstract boolean evalData(List<Ast.Term> path, int i, Env env, K k) throws RegoException;

    abstract boolean walk(RuleTree.Node node, Value base, List<Ast.Term> path, int i, Env env, K k) throws RegoException;

    abstract boolean evalCall(Ast.Call c, Env env, K k) throws RegoException;

    abstract Optional<Value> ruleValue(RuleTree.Node node) throws RegoException;

    abstract Value callFunction(RuleTree.Node fn, Value[] args) throws RegoException;

    abstract void print(Ast.Call c, Env env) throws RegoException;

}
