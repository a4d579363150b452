package org.cvmagent.agent.policy.rego;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Top-down evaluation with backtracking: every term, literal and body hands each of its solutions
 * to a continuation, which answers whether to keep searching.
 */
final class Evaluator {
    /** Receives one value of a term with the bindings that produced it. */
    interface K {
        boolean accept(Value v, Env env) throws RegoException;
    }

    /** Receives one solution of a body or literal. */
    interface BodyK {
        boolean accept(Env env) throws RegoException;
    }

    private final RuleTree tree;
    private final Builtins builtins;
    private final boolean strict;
    private QueryState st;

    Evaluator(RuleTree tree, Builtins builtins, QueryState st, boolean strict) {
        this.tree = tree;
        this.builtins = builtins;
        this.st = st;
        this.strict = strict;
    }

    /** Runs a builtin; outside strict mode a rejected operand makes the call undefined, as in OPA. */
    private Value builtin(Builtins.Builtin b, List<Value> args) throws RegoException {
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
    private Value binaryOp(String op, Value l, Value r) throws RegoException {
        if (strict) {
            return Operators.binary(op, l, r);
        }
        try {
            return Operators.binary(op, l, r);
        } catch (BuiltinError e) {
            return null;
        }
    }

    // ---- entry points

    Optional<Value> evalPath(List<String> path) throws RegoException {
        List<Ast.Term> sel = new ArrayList<>();
        for (int i = 1; i < path.size(); i++) {
            sel.add(new Ast.Scalar(Value.str(path.get(i)), 0));
        }
        Value[] out = new Value[1];
        evalData(sel, 0, Env.query(null, 1, Map.of()), (v, e) -> {
            out[0] = v;
            return false;
        });
        return Optional.ofNullable(out[0]);
    }

    /** All binding sets of a query body, for the conformance tests that query expressions. */
    List<Env> evalQuery(List<Ast.Lit> body, Ast.Module module) throws RegoException {
        List<Env> out = new ArrayList<>();
        Layout.Query q = Layout.bodyQuery(body, tree, builtins, module);
        evalBody(q.body(), 0, Env.query(module, q.frameSize(), q.names()), e -> {
            out.add(e.snapshot());
            return true;
        });
        return out;
    }

    /** All values of a term, for expression queries. */
    List<Value> evalValues(Ast.Term t, Ast.Module module) throws RegoException {
        List<Value> out = new ArrayList<>();
        Layout.TermQuery q = Layout.termQuery(t, tree, builtins, module);
        evalTerm(q.term(), Env.query(module, q.frameSize(), Map.of()), (v, e) -> {
            out.add(v);
            return true;
        });
        return out;
    }

    // ---- bodies and literals

    boolean evalBody(List<Ast.Lit> body, int i, Env env, BodyK k) throws RegoException {
        return evalBody(body, i, env, k, 0);
    }

    /**
     * Rego does not fix the order of a body's literals: one that needs a variable bound by a later
     * literal runs after it. We evaluate in written order and, when a literal fails for an unbound
     * variable before it produced anything, move it to the end and go on; {@code deferrals} counts
     * the literals already tried at position i, so a body that cannot be ordered still ends with the error.
     *
     * <p>Literals with at most one solution (tests, prints, `x := expr` of a single value, negations,
     * every) run in a loop without a continuation each; the bindings they make are undone when the
     * body returns. Only a literal that may have several solutions continues through {@link RestOfBody}.
     */
    private boolean evalBody(List<Ast.Lit> body, int i, Env env, BodyK k, int deferrals) throws RegoException {
        Value[] beforeBindings = null;
        long freshBindings = 0;
        try {
            while (i < body.size()) {
                Ast.Lit lit = body.get(i);
                int outcome;
                try {
                    Ast.Var target = inlineTarget(lit, env);
                    if (target != null) {
                        st.budget.step();
                        Value v = direct(inlineSource(lit, target), env);
                        if (v == null) {
                            return true;
                        }
                        // a fresh slot is just emptied again; others need the frame as it was
                        int slot = target.slot();
                        if (slot < 64 && env.get(slot) == null) {
                            freshBindings |= 1L << slot;
                        } else if (beforeBindings == null) {
                            beforeBindings = env.save();
                        }
                        env.set(slot, v);
                        outcome = HOLDS;
                    } else {
                        outcome = inlineTest(lit, env);
                    }
                } catch (UnsafeVarError err) {
                    if (!canDefer(body, i, deferrals)) {
                        throw err;
                    }
                    outcome = DEFER;
                }
                if (outcome == GENERAL) {
                    RestOfBody rest = new RestOfBody(body, i + 1, k);
                    try {
                        return evalLit(lit, env, rest);
                    } catch (UnsafeVarError err) {
                        if (rest.produced || !canDefer(body, i, deferrals)) {
                            throw err;
                        }
                        outcome = DEFER;
                    }
                }
                if (outcome == FAILED) {
                    return true;
                }
                if (outcome == DEFER) {
                    body = deferred(body, i);
                    deferrals++;
                } else {
                    i++;
                    deferrals = 0;
                }
            }
            return k.accept(env);
        } finally {
            if (beforeBindings != null) {
                env.restore(beforeBindings);
            }
            for (long m = freshBindings; m != 0; m &= m - 1) {
                env.reset(Long.numberOfTrailingZeros(m), null);
            }
        }
    }

    /** The body with literal i moved to the end. */
    private static List<Ast.Lit> deferred(List<Ast.Lit> body, int i) {
        List<Ast.Lit> reordered = new ArrayList<>(body.subList(0, i));
        reordered.addAll(body.subList(i + 1, body.size()));
        reordered.add(body.get(i));
        return reordered;
    }

    /** Each literal from i on gets one try at position i; when all failed the body cannot be ordered. */
    private static boolean canDefer(List<Ast.Lit> body, int i, int deferrals) {
        return deferrals < body.size() - i - 1;
    }

    private static final Value[] NO_ARGS = {};

    private static final int GENERAL = 0;
    private static final int FAILED = 1;
    private static final int HOLDS = 2;
    private static final int DEFER = 3;

    /**
     * The variable a literal binds to one value when it is `x := expr` or `x = expr` (either side)
     * with x not yet bound and expr direct; null otherwise. Unification would bind the same way.
     */
    private Ast.Var inlineTarget(Ast.Lit lit, Env env) throws RegoException {
        if (!(lit instanceof Ast.ExprLit x) || x.negated() || !x.withs().isEmpty()
                || !(x.expr() instanceof Ast.Binary b) || !b.unifies()) {
            return null;
        }
        if (b.op().length() == 2) {
            return b.left() instanceof Ast.Var v && !v.wildcard() && directable(x, Side.RIGHT, env) ? v : null;
        }
        if (b.left() instanceof Ast.Var v && !v.wildcard() && unbound(v, env) && !isPattern(b.right(), env)
                && directable(x, Side.RIGHT, env)) {
            return v;
        }
        if (b.right() instanceof Ast.Var v && !v.wildcard() && unbound(v, env) && !isPattern(b.left(), env)
                && directable(x, Side.LEFT, env)) {
            return v;
        }
        return null;
    }

    /** A part of an expression literal: the whole expression, or a side of its operator. */
    private enum Side { WHOLE, LEFT, RIGHT }

    /**
     * {@link #directable(Ast.Term, Env)} for a part of an expression literal, answered from the
     * variables the literal's layout found that part needs. Mocked functions change which calls are
     * direct, so under `with` of a function this asks the term itself, as it does before layout.
     */
    private boolean directable(Ast.ExprLit x, Side side, Env env) {
        Ast.Term t = side == Side.WHOLE ? x.expr() : side == Side.LEFT ? ((Ast.Binary) x.expr()).left()
                : ((Ast.Binary) x.expr()).right();
        Ast.DirectNeeds needs = x.direct();
        if (needs == null || !st.mocks.isEmpty()) {
            return directable(t, env);
        }
        Ast.Var[] vars = side == Side.WHOLE ? needs.whole() : side == Side.LEFT ? needs.left() : needs.right();
        if (vars == null) {
            return false;
        }
        for (Ast.Var v : vars) {
            if (!directVar(v, env)) {
                return false;
            }
        }
        return true;
    }

    /** The other side of the literal whose {@link #inlineTarget} is target: the term whose value it takes. */
    private static Ast.Term inlineSource(Ast.Lit lit, Ast.Var target) {
        Ast.Binary b = (Ast.Binary) ((Ast.ExprLit) lit).expr();
        return b.left() == target ? b.right() : b.left();
    }

    /**
     * Runs a literal that binds nothing and has at most one solution (a test with a direct value,
     * a negation, every) and answers FAILED or HOLDS; GENERAL, with nothing evaluated, for others.
     */
    private int inlineTest(Ast.Lit lit, Env env) throws RegoException {
        if (lit instanceof Ast.ExprLit x && x.withs().isEmpty()) {
            Ast.Term t = x.expr();
            if (x.negated()) {
                st.budget.step();
                return hasSolution(t, env) ? FAILED : HOLDS;
            }
            if (t instanceof Ast.Binary b && b.unifies()) {
                if (!b.op().equals("=") || isPattern(b.left(), env) || isPattern(b.right(), env)
                        || !directable(x, Side.LEFT, env) || !directable(x, Side.RIGHT, env)) {
                    return GENERAL;
                }
                st.budget.step();
                checkShapes(b.left(), b.right());
                Value va = direct(b.left(), env);
                Value vb = va == null ? null : direct(b.right(), env);
                return vb == null || !va.equals(vb) ? FAILED : HOLDS;
            }
            if (directable(x, Side.WHOLE, env)) {
                st.budget.step();
                Value v = direct(t, env);
                return v == null || v.equals(Value.FALSE) ? FAILED : HOLDS;
            }
            return GENERAL;
        }
        if (lit instanceof Ast.Every ev) {
            st.budget.step();
            return everyHolds(ev, env) ? HOLDS : FAILED;
        }
        return GENERAL;
    }

    private boolean hasSolution(Ast.Term t, Env env) throws RegoException {
        boolean[] found = {false};
        evalPositive(t, env, e -> {
            found[0] = true;
            return false;
        });
        return found[0];
    }

    /** The continuation after one literal; records whether the literal produced a solution at all. */
    private final class RestOfBody implements BodyK {
        private final List<Ast.Lit> body;
        private final int next;
        private final BodyK k;
        boolean produced;

        RestOfBody(List<Ast.Lit> body, int next, BodyK k) {
            this.body = body;
            this.next = next;
            this.k = k;
        }

        @Override
        public boolean accept(Env env) throws RegoException {
            produced = true;
            return evalBody(body, next, env, k, 0);
        }
    }

    private boolean evalLit(Ast.Lit lit, Env env, BodyK k) throws RegoException {
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

    private boolean evalSomeIn(Ast.SomeIn s, Env env, BodyK k) throws RegoException {
        if (directable(s.coll(), env)) {
            Value coll = direct(s.coll(), env);
            return coll == null || someIn(s, coll, env, k);
        }
        return evalTerm(s.coll(), env, (coll, e) -> someIn(s, coll, e, k));
    }

    private boolean someIn(Ast.SomeIn s, Value coll, Env e, BodyK k) throws RegoException {
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
    private boolean eachItem(List<Value> items, int slot, Env env, BodyK k) throws RegoException {
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
    private static void checkArrayPattern(Ast.Term pattern, Value val, int line) throws RegoException {
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

    /** Binds a slot for the continuation only: the old value is back once k returns or throws. */
    private static boolean bound(Env env, int slot, Value v, BodyK k) throws RegoException {
        Value old = env.set(slot, v);
        try {
            return k.accept(env);
        } finally {
            env.reset(slot, old);
        }
    }

    private static boolean declareSome(Ast.SomeDecl s, Env env, BodyK k) throws RegoException {
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

    /** Declares the variables of a pattern; the caller saves the frame before and restores it after. */
    private static void declare(Ast.Term t, Env env) {
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

    /**
     * `every x in xs` and `every k, x in xs` with plain variables over a single-valued domain: the
     * variables take each entry in turn (a declaration followed by a binding, as for any pattern,
     * comes to the same) until the body fails for one.
     */
    private boolean everyItemHolds(Ast.Every ev, Ast.Var value, Ast.Var key, Value dom, Env env)
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

    private boolean hasSolution(List<Ast.Lit> body, Env env) throws RegoException {
        boolean[] found = {false};
        evalBody(body, 0, env, e -> {
            found[0] = true;
            return false;
        });
        return found[0];
    }

    private boolean evalEvery(Ast.Every ev, Env env, BodyK k) throws RegoException {
        return !everyHolds(ev, env) || k.accept(env);
    }

    private boolean everyHolds(Ast.Every ev, Env env) throws RegoException {
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

    private boolean evalWith(Ast.ExprLit x, Env env, BodyK k) throws RegoException {
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
    private static String dottedName(Ast.Term t) {
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

    private List<String> withTarget(Ast.Term t, Env env) throws RegoException {
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

    private boolean evalExprLit(Ast.ExprLit x, Env env, BodyK k) throws RegoException {
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

    private boolean evalPositive(Ast.Term t, Env env, BodyK k) throws RegoException {
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

    // ---- direct evaluation

    /**
     * Whether t has at most one value and no variables to bind, so {@link #direct} can compute it
     * without continuations: constants, bound variables, input, complete rules, references through
     * those with such keys, calls and operators over such terms, comprehensions. Decided before
     * anything is evaluated, so a term that is not direct after all never runs twice (a print in a
     * called function would repeat).
     */
    private boolean directable(Ast.Term t, Env env) {
        if (t instanceof Ast.Scalar) {
            return true;
        }
        if (t instanceof Ast.Var v) {
            return directVar(v, env);
        }
        if (t instanceof Ast.Ref r) {
            return directable(r.head(), env) && directKeys(r.path(), env);
        }
        if (t instanceof Ast.Call c) {
            return directCall(c, env);
        }
        if (t instanceof Ast.Binary b) {
            return !b.unifies() && directable(b.left(), env) && directable(b.right(), env);
        }
        return switch (t) {
            case Ast.Neg n -> directable(n.operand(), env);
            case Ast.In in -> (in.key() == null || directable(in.key(), env)) && directable(in.value(), env)
                    && directable(in.coll(), env);
            case Ast.ArrayLit a -> directKeys(a.items(), env);
            case Ast.SetLit a -> directKeys(a.items(), env);
            case Ast.ObjectLit o -> directEntries(o.entries(), env);
            case Ast.ArrayCompr c -> true;
            case Ast.SetCompr c -> true;
            case Ast.ObjectCompr c -> true;
            default -> throw new IllegalStateException("term " + t);
        };
    }

    private boolean directKeys(List<Ast.Term> ts, Env env) {
        for (int i = 0; i < ts.size(); i++) {
            if (!directable(ts.get(i), env)) {
                return false;
            }
        }
        return true;
    }

    private boolean directEntries(List<Ast.KV> kvs, Env env) {
        for (int i = 0; i < kvs.size(); i++) {
            if (!directable(kvs.get(i).key(), env) || !directable(kvs.get(i).value(), env)) {
                return false;
            }
        }
        return true;
    }

    /** A bound local, input, or a complete rule of the module (what evalVar would find first). */
    private boolean directVar(Ast.Var v, Env env) {
        if (v.wildcard()) {
            return false;
        }
        Value b = env.get(v.slot());
        if (b != null) {
            return b != Env.UNBOUND;
        }
        return v.global() == Ast.Global.INPUT || directRule(v) != null;
    }

    /** The complete (non-function) rule a variable names when evalVar would evaluate it as such, else null. */
    private RuleTree.Node directRule(Ast.Var v) {
        RuleTree.Node node = v.rule();
        if (v.global() != Ast.Global.RULE || !node.hasRules() || node.kind == Ast.Kind.FUNCTION
                || st.isMasked(node.path)) {
            return null;
        }
        return node;
    }

    private boolean directCall(Ast.Call c, Env env) {
        if (c.name().equals("print")) {
            // print has exactly one value, true, whatever its arguments give
            return true;
        }
        if (!st.mocks.isEmpty() || !directKeys(c.args(), env)) {
            return false;
        }
        RuleTree.Node fn = c.fn();
        if (fn != null) {
            return c.args().size() == arity(fn);
        }
        if (c.name().equals("walk")) {
            return false;
        }
        Builtins.Builtin b = c.builtin();
        return b != null && (b.arity() < 0 || b.arity() == c.args().size());
    }

    /**
     * The value of a term {@link #directable} accepted, or null when undefined. Evaluates in the
     * order evalTerm does and stops where it would (an undefined operand leaves the rest unevaluated).
     */
    private Value direct(Ast.Term t, Env env) throws RegoException {
        if (t instanceof Ast.Scalar s) {
            return s.value();
        }
        if (t instanceof Ast.Var v) {
            return directVarValue(v, env);
        }
        if (t instanceof Ast.Ref r) {
            Value v = r.head() instanceof Ast.Var hv ? directVarValue(hv, env) : direct(r.head(), env);
            List<Ast.Term> path = r.path();
            for (int i = 0; i < path.size() && v != null; i++) {
                Value key = direct(path.get(i), env);
                v = key == null ? null : lookup(v, key);
            }
            return v;
        }
        if (t instanceof Ast.Call c) {
            return directCallValue(c, env);
        }
        if (t instanceof Ast.Binary b) {
            Value l = direct(b.left(), env);
            Value r = l == null ? null : direct(b.right(), env);
            return r == null ? null : binaryOp(b.op(), l, r);
        }
        return directRare(t, env);
    }

    /** The rarer terms of {@link #direct}, apart so that its common cases stay small enough to inline. */
    private Value directRare(Ast.Term t, Env env) throws RegoException {
        return switch (t) {
            case Ast.Neg n -> {
                Value v = direct(n.operand(), env);
                yield v == null ? null : binaryOp("-", Value.num(0), v);
            }
            case Ast.In in -> {
                Value coll = direct(in.coll(), env);
                if (coll == null) {
                    yield null;
                }
                if (in.key() == null) {
                    Value v = direct(in.value(), env);
                    yield v == null ? null : Value.bool(Operators.member(v, coll));
                }
                Value key = direct(in.key(), env);
                Value v = key == null ? null : direct(in.value(), env);
                if (v == null) {
                    yield null;
                }
                Value at = lookup(coll, key);
                yield Value.bool(at != null && at.equals(v) && !(coll instanceof Value.SetV));
            }
            case Ast.ArrayLit a -> {
                Value[] vals = directArgs(a.items(), env);
                yield vals == null ? null : Values.arr(java.util.Arrays.asList(vals));
            }
            case Ast.SetLit a -> {
                Value[] vals = directArgs(a.items(), env);
                yield vals == null ? null : Values.set(new TreeSet<>(java.util.Arrays.asList(vals)));
            }
            case Ast.ObjectLit o -> {
                TreeMap<Value, Value> m = new TreeMap<>();
                for (Ast.KV kv : o.entries()) {
                    Value key = direct(kv.key(), env);
                    Value val = key == null ? null : direct(kv.value(), env);
                    if (val == null) {
                        yield null;
                    }
                    m.put(key, val);
                }
                yield Values.obj(m);
            }
            case Ast.ArrayCompr c -> single(c, env);
            case Ast.SetCompr c -> single(c, env);
            case Ast.ObjectCompr c -> single(c, env);
            default -> throw new IllegalStateException("term " + t);
        };
    }

    private Value directVarValue(Ast.Var v, Env env) throws RegoException {
        Value b = env.get(v.slot());
        if (b != null) {
            return b;
        }
        if (v.global() == Ast.Global.INPUT) {
            return st.input;
        }
        return ruleValue(v.rule()).orElse(null);
    }

    /** The arguments' values in order, or null at the first undefined one. */
    private Value[] directArgs(List<Ast.Term> ts, Env env) throws RegoException {
        Value[] vals = new Value[ts.size()];
        for (int i = 0; i < vals.length; i++) {
            vals[i] = direct(ts.get(i), env);
            if (vals[i] == null) {
                return null;
            }
        }
        return vals;
    }

    private Value directCallValue(Ast.Call c, Env env) throws RegoException {
        if (c.name().equals("print")) {
            print(c, env);
            return Value.TRUE;
        }
        Value[] vals = directArgs(c.args(), env);
        if (vals == null) {
            return null;
        }
        RuleTree.Node fn = c.fn();
        if (fn != null) {
            return callFunction(fn, vals);
        }
        return builtin(c.builtin(), java.util.Arrays.asList(vals));
    }

    // ---- unification

    /** Whether t is a variable with no value yet, which a unification may bind. */
    private boolean unbound(Ast.Term t, Env env) {
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

    private boolean isPattern(Ast.Term t, Env env) {
        return switch (t) {
            case Ast.Var v -> unbound(v, env);
            case Ast.ArrayLit a -> a.items().stream().anyMatch(i -> isPattern(i, env));
            case Ast.ObjectLit o -> o.entries().stream().anyMatch(kv -> isPattern(kv.value(), env));
            default -> false;
        };
    }

    /** Shape of a collection literal: an array's length, an object's key set; null for other terms. */
    private static Object literalShape(Ast.Term t) {
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
    private static void checkShapes(Ast.Term a, Ast.Term b) throws RegoException {
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

    private static String describe(Ast.Term t) {
        return t instanceof Ast.Var v ? v.name() : "pattern";
    }

    private boolean unifyAll(List<Ast.Term> as, List<Ast.Term> bs, int i, Env env, BodyK k) throws RegoException {
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

    private boolean bindItems(List<Ast.Term> ts, List<Value> vs, int i, Env env, BodyK k) throws RegoException {
        if (i == ts.size()) {
            return k.accept(env);
        }
        return bindPattern(ts.get(i), vs.get(i), env, e -> bindItems(ts, vs, i + 1, e, k));
    }

    private boolean bindEntries(List<Ast.KV> kvs, Value.Obj obj, int i, Env env, BodyK k) throws RegoException {
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
    private Value single(Ast.Term t, Env env) throws RegoException {
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

    private interface ListK {
        boolean accept(List<Value> vals, Env env) throws RegoException;
    }

    private boolean evalList(List<Ast.Term> ts, Env env, ListK k) throws RegoException {
        return evalItems(ts, 0, new Value[ts.size()], env, k);
    }

    /** Fills acc[i..] with one value per term; each solution gets its own copy of the array. */
    private boolean evalItems(List<Ast.Term> ts, int i, Value[] acc, Env env, ListK k) throws RegoException {
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
    private boolean evalObject(List<Ast.KV> kvs, int i, Value[] keys, Value[] vals, Env env, K k)
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

    private boolean evalVar(Ast.Var v, List<Ast.Term> path, Env env, K k) throws RegoException {
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
    private Value baseAt(List<String> path) {
        Value v = st.data;
        for (int i = 1; i < path.size() && v != null; i++) {
            v = lookup(v, Value.str(path.get(i)));
        }
        return v;
    }

    private boolean evalAbsolute(List<String> abs, List<Ast.Term> path, Env env, K k) throws RegoException {
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

    private interface EntryK {
        boolean accept(Value key, Value val) throws RegoException;
    }

    private boolean iterate(Value coll, EntryK k) throws RegoException {
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

    // ---- data: rules and base documents

    private boolean evalData(List<Ast.Term> path, int i, Env env, K k) throws RegoException {
        return walk(tree.root, st.data, path, i, env, k);
    }

    /** Walks the rule tree and the base data side by side; base may be null where no data exists. */
    private boolean walk(RuleTree.Node node, Value base, List<Ast.Term> path, int i, Env env, K k)
            throws RegoException {
        if (node == null || st.isMasked(node.path)) {
            return base == null || select(base, path, i, env, k);
        }
        if (node.hasRules()) {
            if (node.kind == Ast.Kind.FUNCTION) {
                // a function without parameters is also a document
                if (arity(node) != 0) {
                    return true;
                }
                Value v = callFunction(node, NO_ARGS);
                return v == null || select(v, path, i, env, k);
            }
            Optional<Value> v = ruleValue(node);
            return v.isEmpty() || select(v.get(), path, i, env, k);
        }
        if (i == path.size()) {
            return k.accept(wholeNode(node, base), env);
        }
        Ast.Term sel = path.get(i);
        if (sel instanceof Ast.Scalar s) {
            return step(node, base, s.value(), path, i, env, k);
        }
        if (isPattern(sel, env)) {
            TreeSet<Value> keys = new TreeSet<>();
            node.children.keySet().forEach(c -> keys.add(Value.str(c)));
            if (base instanceof Value.Obj o) {
                keys.addAll(o.map().keySet());
            }
            for (Value key : keys) {
                if (!bindPattern(sel, key, env, e -> step(node, base, key, path, i, e, k))) {
                    return false;
                }
            }
            return true;
        }
        return evalTerm(sel, env, (key, e) -> step(node, base, key, path, i, e, k));
    }

    private boolean step(RuleTree.Node node, Value base, Value rawKey, List<Ast.Term> path, int i, Env env, K k)
            throws RegoException {
        // the keys of data documents are strings: data.x[1] means data.x["1"]
        Value key = rawKey instanceof Value.Num n ? Value.str(Values.numberText(n.value())) : rawKey;
        RuleTree.Node child = key instanceof Value.Str s ? node.children.get(s.value()) : null;
        Value childBase = base == null ? null : lookup(base, key);
        if (child == null && childBase == null) {
            return true;
        }
        return walk(child, childBase, path, i + 1, env, k);
    }

    /** The document at an inner node: its base data overlaid with the values of the rules below. */
    private Value wholeNode(RuleTree.Node node, Value base) throws RegoException {
        if (node == null || st.isMasked(node.path)) {
            return base;
        }
        if (node.hasRules()) {
            if (node.kind == Ast.Kind.FUNCTION) {
                return arity(node) == 0 ? callFunction(node, NO_ARGS) : null;
            }
            return ruleValue(node).orElse(null);
        }
        TreeMap<Value, Value> out = new TreeMap<>();
        if (base instanceof Value.Obj o) {
            out.putAll(o.map());
        }
        for (Map.Entry<String, RuleTree.Node> c : node.children.entrySet()) {
            Value key = Value.str(c.getKey());
            Value v = wholeNode(c.getValue(), base == null ? null : lookup(base, key));
            if (v != null) {
                out.put(key, v);
            }
        }
        return Values.obj(out);
    }

    Optional<Value> ruleValue(RuleTree.Node node) throws RegoException {
        Optional<Value> cached = st.cache.get(node);
        if (cached != null) {
            return cached;
        }
        if (!st.inProgress.add(node)) {
            throw new RegoException("rego_recursion_error: rule " + node.name() + " is recursive");
        }
        st.budget.enter();
        try {
            Optional<Value> v = computeRule(node);
            st.cache.put(node, v);
            return v;
        } finally {
            st.budget.exit();
            st.inProgress.remove(node);
        }
    }

    private Optional<Value> computeRule(RuleTree.Node node) throws RegoException {
        switch (node.kind) {
            case PARTIAL_SET -> {
                TreeSet<Value> out = new TreeSet<>();
                for (Ast.Rule r : node.rules) {
                    Env root = Env.of(r);
                    // a constant element needs one solution of the body (regorus's early return: later
                    // iterations, which might fail with an error, are not run)
                    boolean allSolutions = !constant(r.key());
                    evalBody(r.body(), 0, root, e -> evalTerm(r.key(), e, (v, e2) -> {
                        out.add(v);
                        return allSolutions;
                    }));
                }
                return Optional.of(Values.set(out));
            }
            case PARTIAL_OBJECT -> {
                TreeMap<Value, Value> out = new TreeMap<>();
                for (Ast.Rule r : node.rules) {
                    Env root = Env.of(r);
                    boolean allSolutions = !(constant(r.key()) && (r.value() == null || constant(r.value())));
                    evalBody(r.body(), 0, root, e -> evalTerm(r.key(), e, (key, e2) -> headValue(r, e2, (v, e3) -> {
                        Value prev = out.get(key);
                        if (prev != null && r.mergeValues() && prev instanceof Value.Obj po && v instanceof Value.Obj no) {
                            out.put(key, merge(po, no, node));
                        } else if (prev != null && !prev.equals(v)) {
                            throw new RegoException("eval_conflict_error: object keys must be unique (rule "
                                    + node.name() + ")");
                        } else {
                            out.put(key, v);
                        }
                        return allSolutions;
                    })));
                }
                // rules below the object's path (p.q := 1 next to p[k] := v) are entries too
                for (Map.Entry<String, RuleTree.Node> c : node.children.entrySet()) {
                    Value v = wholeNode(c.getValue(), null);
                    Value prev = v == null ? null : out.put(Value.str(c.getKey()), v);
                    if (prev != null && !prev.equals(v)) {
                        throw new RegoException("eval_conflict_error: object keys must be unique (rule "
                                + node.name() + ")");
                    }
                }
                for (Ast.Rule d : node.defaultEntries) {
                    out.putIfAbsent(single(d.key(), Env.of(d)), single(d.value(), Env.of(d)));
                }
                return Optional.of(Values.obj(out));
            }
            default -> {
                Outputs values = new Outputs();
                for (Ast.Rule r : node.rules) {
                    evalChain(r, Env.of(r), values, false);
                }
                if (values.conflict()) {
                    throw new RegoException("eval_conflict_error: complete rules must not produce multiple outputs ("
                            + node.name() + ")");
                }
                if (values.isEmpty()) {
                    if (node.defaultRule != null) {
                        Value d = single(node.defaultRule.value(), Env.of(node.defaultRule));
                        return Optional.ofNullable(d);
                    }
                    return Optional.empty();
                }
                return Optional.of(values.value());
            }
        }
    }

    /** Whether a rule head term has one value whatever the body binds. */
    private static boolean constant(Ast.Term t) {
        return switch (t) {
            case Ast.Scalar s -> true;
            case Ast.ArrayLit a -> a.items().stream().allMatch(Evaluator::constant);
            case Ast.SetLit a -> a.items().stream().allMatch(Evaluator::constant);
            case Ast.ObjectLit o -> o.entries().stream().allMatch(kv -> constant(kv.key()) && constant(kv.value()));
            default -> false;
        };
    }

    /** Deep merge of the values p[a][b]... rules give for one key; differing leaves conflict. */
    private static Value merge(Value.Obj a, Value.Obj b, RuleTree.Node node) throws RegoException {
        TreeMap<Value, Value> m = new TreeMap<>(a.map());
        for (Map.Entry<Value, Value> e : b.map().entrySet()) {
            Value prev = m.get(e.getKey());
            if (prev == null || prev.equals(e.getValue())) {
                m.put(e.getKey(), e.getValue());
            } else if (prev instanceof Value.Obj po && e.getValue() instanceof Value.Obj no) {
                m.put(e.getKey(), merge(po, no, node));
            } else {
                throw new RegoException("eval_conflict_error: object keys must be unique (rule " + node.name() + ")");
            }
        }
        return Values.obj(m);
    }

    private boolean headValue(Ast.Rule r, Env env, K k) throws RegoException {
        return r.value() == null ? k.accept(Value.TRUE, env) : evalTerm(r.value(), env, k);
    }

    /** Evaluates a rule and its else branches from env, adding the values it produces. */
    private void evalChain(Ast.Rule r, Env env, Outputs values, boolean allSolutions) throws RegoException {
        for (Ast.Rule b = r; b != null; b = b.elseRule()) {
            BranchOutputs out = new BranchOutputs(b, values, allSolutions);
            evalBody(b.body(), 0, env, out);
            if (out.any) {
                return;
            }
        }
    }

    /**
     * Adds the head value of each solution of one rule branch. Like regorus (whose outputs kata's
     * tests record, prints included), a complete rule's body stops at its first solution; a function
     * body runs through all of them.
     */
    private final class BranchOutputs implements BodyK, K {
        private final Ast.Rule branch;
        private final Outputs values;
        private final boolean allSolutions;
        boolean any;

        BranchOutputs(Ast.Rule branch, Outputs values, boolean allSolutions) {
            this.branch = branch;
            this.values = values;
            this.allSolutions = allSolutions;
        }

        @Override
        public boolean accept(Env env) throws RegoException {
            Ast.Term head = branch.value();
            if (head == null) {
                return accept(Value.TRUE, env);
            }
            if (directable(head, env)) {
                Value v = direct(head, env);
                return v == null || accept(v, env);
            }
            return evalTerm(head, env, this);
        }

        @Override
        public boolean accept(Value v, Env env) {
            any = true;
            values.add(v);
            return allSolutions;
        }
    }

    // ---- calls

    private boolean evalCall(Ast.Call c, Env env, K k) throws RegoException {
        if (c.name().equals("print")) {
            return evalPrint(c, env, k);
        }
        RuleTree.Node fn = c.fn();
        Builtins.Builtin mocked = null;
        if (!st.mocks.isEmpty()) {
            Object mock = st.mocks.get(fn != null ? fn : c.name());
            switch (mock) {
                case null -> {
                }
                case RuleTree.Node n -> fn = n;
                case Builtins.Builtin b -> {
                    fn = null;
                    mocked = b;
                }
                case Value v -> {
                    return evalList(c.args(), env, (vals, e) -> k.accept(v, e));
                }
                default -> throw new IllegalStateException("unknown mock " + mock);
            }
        }
        if (fn == null && mocked == null && c.name().equals("walk")) {
            return evalWalk(c, env, k);
        }
        if (fn == null) {
            Builtins.Builtin b = mocked != null ? mocked : c.builtin();
            if (b == null) {
                throw new RegoException("rego_type_error: undefined function " + c.name() + " (line " + c.line() + ")");
            }
            if (b.arity() >= 0 && c.args().size() != b.arity()) {
                if (c.args().size() == b.arity() + 1 && c.args().get(b.arity()) instanceof Ast.Var) {
                    // f(x, out): the last argument receives the result
                    List<Ast.Term> in = c.args().subList(0, b.arity());
                    Ast.Term out = c.args().get(b.arity());
                    return evalList(in, env, (vals, e) -> {
                        Value r = builtin(b, vals);
                        return r == null || bindPattern(out, r, e, e2 -> k.accept(Value.TRUE, e2));
                    });
                }
                throw new RegoException("rego_type_error: `" + c.name() + "` expects " + b.arity() + " arguments (line "
                        + c.line() + ")");
            }
            return evalList(c.args(), env, (vals, e) -> {
                Value r = builtin(b, vals);
                return r == null || k.accept(r, e);
            });
        }
        RuleTree.Node target = fn;
        int arity = arity(target);
        if (c.args().size() == arity + 1) {
            List<Ast.Term> in = c.args().subList(0, arity);
            Ast.Term out = c.args().get(arity);
            return evalList(in, env, (vals, e) -> {
                Value r = callFunction(target, vals);
                return r == null || bindPattern(out, r, e, e2 -> k.accept(Value.TRUE, e2));
            });
        }
        if (c.args().size() != arity) {
            throw new RegoException("rego_type_error: " + c.name() + ": arity mismatch (line " + c.line() + ")");
        }
        return evalList(c.args(), env, (vals, e) -> {
            Value r = callFunction(target, vals);
            return r == null || k.accept(r, e);
        });
    }

    /** walk(x): every [path, value] pair of x, pre-order; a relation, so it may yield many results. */
    private boolean evalWalk(Ast.Call c, Env env, K k) throws RegoException {
        if (c.args().isEmpty() || c.args().size() > 2) {
            throw new RegoException("rego_type_error: `walk` expects 1 argument (line " + c.line() + ")");
        }
        return evalTerm(c.args().get(0), env, (root, e) -> {
            List<Value> pairs = new ArrayList<>();
            walkPairs(new ArrayList<>(), root, pairs);
            for (Value pair : pairs) {
                boolean more = c.args().size() == 2
                        ? bindPattern(c.args().get(1), pair, e, e2 -> k.accept(Value.TRUE, e2))
                        : k.accept(pair, e);
                if (!more) {
                    return false;
                }
            }
            return true;
        });
    }

    private void walkPairs(List<Value> path, Value v, List<Value> out) throws RegoException {
        st.budget.step();
        out.add(Values.arr(List.of(Values.arr(new ArrayList<>(path)), v)));
        List<Value[]> children = new ArrayList<>();
        iterate(v, (key, val) -> {
            children.add(new Value[] {key, val});
            return true;
        });
        for (Value[] kv : children) {
            path.add(kv[0]);
            walkPairs(path, kv[1], out);
            path.remove(path.size() - 1);
        }
    }

    private static int arity(RuleTree.Node fn) {
        return fn.rules.isEmpty() ? fn.defaultRule.args().size() : fn.rules.get(0).args().size();
    }

    private RuleTree.Node resolveFunction(String name, Env env) {
        return env.module() == null ? null : tree.function(env.module(), name);
    }

    private Value callFunction(RuleTree.Node fn, List<Value> args) throws RegoException {
        return callFunction(fn, args.toArray(new Value[0]));
    }

    private Value callFunction(RuleTree.Node fn, Value[] args) throws RegoException {
        st.budget.enter();
        try {
            Outputs values = new Outputs();
            for (Ast.Rule r : fn.rules) {
                Env root = Env.of(r);
                if (r.plainParams()) {
                    List<Ast.Term> params = r.args();
                    for (int i = 0; i < args.length; i++) {
                        Ast.Var v = (Ast.Var) params.get(i);
                        if (!v.wildcard()) {
                            root.set(v.slot(), args[i]);
                        }
                    }
                    evalChain(r, root, values, true);
                    continue;
                }
                for (Ast.Term p : r.args()) {
                    declare(p, root);
                }
                bindArgs(r.args(), java.util.Arrays.asList(args), 0, root, e -> {
                    evalChain(r, e, values, true);
                    return true;
                });
            }
            if (values.conflict()) {
                throw new RegoException("eval_conflict_error: functions must not produce multiple outputs for same "
                        + "inputs (" + fn.name() + ")");
            }
            if (values.isEmpty()) {
                if (fn.defaultRule != null) {
                    return single(fn.defaultRule.value(), Env.of(fn.defaultRule));
                }
                return null;
            }
            return values.value();
        } finally {
            st.budget.exit();
        }
    }

    private boolean bindArgs(List<Ast.Term> params, List<Value> args, int i, Env env, BodyK k) throws RegoException {
        // plain parameters (nearly all) bind in a loop, without a continuation per argument
        Value[] saved = null;
        while (i < params.size()) {
            Ast.Term p = params.get(i);
            if (p instanceof Ast.Var var && !var.wildcard() && unbound(var, env)) {
                if (saved == null) {
                    saved = env.save();
                }
                env.set(var.slot(), args.get(i++));
            } else if (p instanceof Ast.Var var && var.wildcard()) {
                i++;
            } else {
                break;
            }
        }
        try {
            if (i == params.size()) {
                return k.accept(env);
            }
            int at = i;
            return bindPattern(params.get(at), args.get(at), env, e -> bindArgs(params, args, at + 1, e, k));
        } finally {
            if (saved != null) {
                env.restore(saved);
            }
        }
    }

    private boolean evalPrint(Ast.Call c, Env env, K k) throws RegoException {
        print(c, env);
        return k.accept(Value.TRUE, env);
    }

    /** Adds one print() line; an argument with no value or several prints them all, or <undefined>. */
    private void print(Ast.Call c, Env env) throws RegoException {
        int n = c.args().size();
        Value[] values = new Value[n];
        @SuppressWarnings("unchecked")
        List<Value>[] others = null;
        for (int i = 0; i < n; i++) {
            Ast.Term a = c.args().get(i);
            List<Value> vals;
            if (directable(a, env)) {
                Value v = direct(a, env);
                if (v != null) {
                    values[i] = v;
                    continue;
                }
                vals = List.of();
            } else {
                List<Value> all = new ArrayList<>(1);
                evalTerm(a, env, (v, e) -> {
                    all.add(v);
                    return true;
                });
                vals = all;
            }
            if (vals.size() == 1) {
                values[i] = vals.get(0);
            } else {
                if (others == null) {
                    others = new List[n];
                }
                others[i] = vals;
            }
        }
        st.prints.add(values, others);
    }

    /** The value of a constant or of a bound local variable, without a continuation; else null. */
    private static Value groundValue(Ast.Term t, Env env) {
        if (t instanceof Ast.Scalar s) {
            return s.value();
        }
        if (t instanceof Ast.Var v && !v.wildcard()) {
            Value b = env.get(v.slot());
            return b == Env.UNBOUND ? null : b;
        }
        return null;
    }

    // ---- operators

    private boolean evalBinary(Ast.Binary b, Env env, K k) throws RegoException {
        if (b.op().equals("=") || b.op().equals(":=")) {
            return evalPositive(b, env, e -> k.accept(Value.TRUE, e));
        }
        return evalTerm(b.left(), env, (l, e) -> evalTerm(b.right(), e, (r, e2) -> {
            Value v = binaryOp(b.op(), l, r);
            return v == null || k.accept(v, e2);
        }));
    }

    private boolean evalIn(Ast.In in, Env env, K k) throws RegoException {
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
}
