package org.cvmagent.agent.policy.rego;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Queries (paths, bodies, expression values) and the ordering of a body's literals around their bindings. */
final class Evaluator extends LiteralEvaluator {
    Evaluator(RuleTree tree, Builtins builtins, QueryState st, boolean strict) {
        super(tree, builtins, st, strict);
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
    boolean evalBody(List<Ast.Lit> body, int i, Env env, BodyK k, int deferrals) throws RegoException {
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
    static List<Ast.Lit> deferred(List<Ast.Lit> body, int i) {
        List<Ast.Lit> reordered = new ArrayList<>(body.subList(0, i));
        reordered.addAll(body.subList(i + 1, body.size()));
        reordered.add(body.get(i));
        return reordered;
    }

    /** Each literal from i on gets one try at position i; when all failed the body cannot be ordered. */
    static boolean canDefer(List<Ast.Lit> body, int i, int deferrals) {
        return deferrals < body.size() - i - 1;
    }


    static final int GENERAL = 0;
    static final int FAILED = 1;
    static final int HOLDS = 2;
    static final int DEFER = 3;

    /**
     * The variable a literal binds to one value when it is `x := expr` or `x = expr` (either side)
     * with x not yet bound and expr direct; null otherwise. Unification would bind the same way.
     */
    Ast.Var inlineTarget(Ast.Lit lit, Env env) throws RegoException {
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
    enum Side { WHOLE, LEFT, RIGHT }

    /**
     * {@link #directable(Ast.Term, Env)} for a part of an expression literal, answered from the
     * variables the literal's layout found that part needs. Mocked functions change which calls are
     * direct, so under `with` of a function this asks the term itself, as it does before layout.
     */
    boolean directable(Ast.ExprLit x, Side side, Env env) {
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
    static Ast.Term inlineSource(Ast.Lit lit, Ast.Var target) {
        Ast.Binary b = (Ast.Binary) ((Ast.ExprLit) lit).expr();
        return b.left() == target ? b.right() : b.left();
    }

    /**
     * Runs a literal that binds nothing and has at most one solution (a test with a direct value,
     * a negation, every) and answers FAILED or HOLDS; GENERAL, with nothing evaluated, for others.
     */
    int inlineTest(Ast.Lit lit, Env env) throws RegoException {
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

    boolean hasSolution(Ast.Term t, Env env) throws RegoException {
        boolean[] found = {false};
        evalPositive(t, env, e -> {
            found[0] = true;
            return false;
        });
        return found[0];
    }

    /** The continuation after one literal; records whether the literal produced a solution at all. */
    final class RestOfBody implements BodyK {
        final List<Ast.Lit> body;
        final int next;
        final BodyK k;
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

}
