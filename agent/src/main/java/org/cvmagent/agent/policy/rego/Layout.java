package org.cvmagent.agent.policy.rego;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The compile step between parsing and evaluation: rewrites a rule (or query) so that evaluation
 * finds everything it would otherwise look up by name on every query.
 *
 * <p>Every variable name used in a rule (its else branches, parameters, head and nested bodies
 * included) gets one slot of the rule's frame, so evaluation reads and binds an array element
 * instead of searching bindings by name. One slot per name keeps the by-name semantics exactly:
 * bodies nested in a rule (comprehensions, every) see the rule's variables under the same names,
 * and a name that is a rule or input/data simply has a slot that stays empty unless the rule
 * declares it locally. Each variable also records what its name means when unbound (input, data,
 * a rule node, an import), each call its user function and builtin, and each expression literal
 * which variables its terms need bound to be evaluated directly.
 */
final class Layout {
    /** The slots of one rule chain or query by name; slot 0 is reserved for wildcards. */
    private final Map<String, Integer> slots = new HashMap<>();
    private final RuleTree tree;
    private final Builtins builtins;
    /** The module whose names the rule or query uses; null for a query without modules. */
    private final Ast.Module module;

    private Layout(RuleTree tree, Builtins builtins, Ast.Module module) {
        this.tree = tree;
        this.builtins = builtins;
        this.module = module;
    }

    /** A query body laid out: its rewritten literals, the frame size and the slot of each name. */
    record Query(List<Ast.Lit> body, int frameSize, Map<String, Integer> names) {
    }

    /** A term query laid out. */
    record TermQuery(Ast.Term term, int frameSize) {
    }

    /**
     * The rule chain (the rule and its else branches) with every variable given its slot and
     * meaning, and every call its target. The tree must hold all rules (sealed).
     */
    static Ast.Rule layOut(Ast.Rule r, RuleTree tree, Builtins builtins) {
        return new Layout(tree, builtins, r.module()).chain(r);
    }

    static Query bodyQuery(List<Ast.Lit> body, RuleTree tree, Builtins builtins, Ast.Module module) {
        Layout s = new Layout(tree, builtins, module);
        List<Ast.Lit> out = s.lits(body);
        return new Query(out, s.frameSize(), Map.copyOf(s.slots));
    }

    static TermQuery termQuery(Ast.Term t, RuleTree tree, Builtins builtins, Ast.Module module) {
        Layout s = new Layout(tree, builtins, module);
        Ast.Term out = s.term(t);
        return new TermQuery(out, s.frameSize());
    }

    private int frameSize() {
        return slots.size() + 1;
    }

    private int slot(String name) {
        if (name.startsWith("_$")) {
            return Ast.Var.WILDCARD;
        }
        return slots.computeIfAbsent(name, n -> slots.size() + 1);
    }

    /**
     * The frame size is known only after the whole chain is visited, so the laid-out branches are
     * rebuilt once more to record it.
     */
    private Ast.Rule chain(Ast.Rule r) {
        return sized(rewrite(r), frameSize());
    }

    private static Ast.Rule sized(Ast.Rule r, int size) {
        return r == null ? null : new Ast.Rule(r.path(), r.kind(), r.args(), r.key(), r.value(), r.body(),
                sized(r.elseRule(), size), r.isDefault(), r.module(), r.line(), r.mergeValues(), size,
                r.plainParams());
    }

    private Ast.Rule rewrite(Ast.Rule r) {
        if (r == null) {
            return null;
        }
        List<Ast.Term> args = terms(r.args());
        Ast.Term key = r.key() == null ? null : term(r.key());
        Ast.Term value = r.value() == null ? null : term(r.value());
        List<Ast.Lit> body = lits(r.body());
        Ast.Rule rest = rewrite(r.elseRule());
        return new Ast.Rule(r.path(), r.kind(), args, key, value, body, rest, r.isDefault(), r.module(), r.line(),
                r.mergeValues(), 0, plainParams(args));
    }

    private static boolean plainParams(List<Ast.Term> params) {
        for (int i = 0; i < params.size(); i++) {
            if (!(params.get(i) instanceof Ast.Var v)) {
                return false;
            }
            for (int j = 0; j < i && !v.wildcard(); j++) {
                if (params.get(j) instanceof Ast.Var w && w.slot() == v.slot()) {
                    return false;
                }
            }
        }
        return true;
    }

    private Ast.Var var(Ast.Var v) {
        String name = v.name();
        int slot = slot(name);
        if (name.equals("input")) {
            return new Ast.Var(name, v.line(), slot, Ast.Global.INPUT, null);
        }
        if (name.equals("data")) {
            return new Ast.Var(name, v.line(), slot, Ast.Global.DATA, null);
        }
        if (module == null) {
            return new Ast.Var(name, v.line(), slot, Ast.Global.NONE, null);
        }
        // a rule of the package takes precedence over an import alias of the same name (regorus)
        RuleTree.Node rule = tree.local(module, name);
        if (rule != null) {
            return new Ast.Var(name, v.line(), slot, Ast.Global.RULE, rule);
        }
        Ast.Global g = module.imports().containsKey(name) ? Ast.Global.IMPORT : Ast.Global.NONE;
        return new Ast.Var(name, v.line(), slot, g, null);
    }

    private List<Ast.Term> terms(List<Ast.Term> ts) {
        List<Ast.Term> out = new ArrayList<>(ts.size());
        for (Ast.Term t : ts) {
            out.add(term(t));
        }
        return List.copyOf(out);
    }

    private List<Ast.Lit> lits(List<Ast.Lit> ls) {
        List<Ast.Lit> out = new ArrayList<>(ls.size());
        for (Ast.Lit l : ls) {
            out.add(lit(l));
        }
        return List.copyOf(out);
    }

    private Ast.Term nullable(Ast.Term t) {
        return t == null ? null : term(t);
    }

    private Ast.Lit lit(Ast.Lit l) {
        return switch (l) {
            case Ast.ExprLit x -> {
                List<Ast.With> withs = new ArrayList<>(x.withs().size());
                for (Ast.With w : x.withs()) {
                    withs.add(new Ast.With(term(w.target()), term(w.value())));
                }
                Ast.Term expr = term(x.expr());
                Ast.DirectNeeds needs = expr instanceof Ast.Binary b
                        ? new Ast.DirectNeeds(needs(expr), needs(b.left()), needs(b.right()))
                        : new Ast.DirectNeeds(needs(expr), null, null);
                yield new Ast.ExprLit(expr, x.negated(), List.copyOf(withs), x.line(), needs);
            }
            case Ast.SomeDecl s -> {
                int[] ids = new int[s.vars().size()];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = slot(s.vars().get(i));
                }
                yield new Ast.SomeDecl(s.vars(), s.line(), ids);
            }
            case Ast.SomeIn s -> new Ast.SomeIn(nullable(s.key()), term(s.value()), term(s.coll()), s.line());
            case Ast.Every e -> new Ast.Every(nullable(e.key()), term(e.value()), term(e.domain()), lits(e.body()),
                    e.line());
        };
    }

    private Ast.Term term(Ast.Term t) {
        return switch (t) {
            case Ast.Scalar s -> s;
            case Ast.Var v -> var(v);
            case Ast.Ref r -> new Ast.Ref(term(r.head()), terms(r.path()), r.line());
            case Ast.ArrayLit a -> new Ast.ArrayLit(terms(a.items()), a.line());
            case Ast.ObjectLit o -> new Ast.ObjectLit(entries(o.entries()), o.line());
            case Ast.SetLit s -> new Ast.SetLit(terms(s.items()), s.line());
            case Ast.ArrayCompr c -> new Ast.ArrayCompr(term(c.head()), lits(c.body()), c.line());
            case Ast.SetCompr c -> new Ast.SetCompr(term(c.head()), lits(c.body()), c.line());
            case Ast.ObjectCompr c -> new Ast.ObjectCompr(term(c.key()), term(c.value()), lits(c.body()), c.line());
            case Ast.Call c -> new Ast.Call(c.name(), terms(c.args()), c.line(),
                    module == null ? null : tree.function(module, c.name()), builtins.get(c.name()));
            case Ast.Binary b -> new Ast.Binary(b.op(), term(b.left()), term(b.right()), b.line());
            case Ast.Neg n -> new Ast.Neg(term(n.operand()), n.line());
            case Ast.In in -> new Ast.In(nullable(in.key()), term(in.value()), term(in.coll()), in.line());
        };
    }

    /**
     * The variables whose values a term needs to be evaluated directly (Evaluator#directable), or
     * null when its shape rules that out whatever is bound: a wildcard, a unification inside, a
     * call of walk, of an unknown function or with the wrong number of arguments.
     */
    private static Ast.Var[] needs(Ast.Term t) {
        List<Ast.Var> out = new ArrayList<>();
        return directShape(t, out) ? out.toArray(new Ast.Var[0]) : null;
    }

    private static boolean directShape(Ast.Term t, List<Ast.Var> out) {
        return switch (t) {
            case Ast.Scalar s -> true;
            case Ast.Var v -> {
                out.add(v);
                yield !v.wildcard();
            }
            case Ast.Ref r -> directShape(r.head(), out) && allDirect(r.path(), out);
            case Ast.Call c -> {
                if (c.name().equals("print")) {
                    yield true;
                }
                if (c.fn() != null) {
                    yield c.args().size() == arity(c.fn()) && allDirect(c.args(), out);
                }
                if (c.name().equals("walk") || c.builtin() == null) {
                    yield false;
                }
                int arity = c.builtin().arity();
                yield (arity < 0 || arity == c.args().size()) && allDirect(c.args(), out);
            }
            case Ast.Binary b -> !b.unifies() && directShape(b.left(), out) && directShape(b.right(), out);
            case Ast.Neg n -> directShape(n.operand(), out);
            case Ast.In in -> (in.key() == null || directShape(in.key(), out)) && directShape(in.value(), out)
                    && directShape(in.coll(), out);
            case Ast.ArrayLit a -> allDirect(a.items(), out);
            case Ast.SetLit a -> allDirect(a.items(), out);
            case Ast.ObjectLit o -> {
                for (Ast.KV kv : o.entries()) {
                    if (!directShape(kv.key(), out) || !directShape(kv.value(), out)) {
                        yield false;
                    }
                }
                yield true;
            }
            case Ast.ArrayCompr c -> true;
            case Ast.SetCompr c -> true;
            case Ast.ObjectCompr c -> true;
        };
    }

    private static boolean allDirect(List<Ast.Term> ts, List<Ast.Var> out) {
        for (Ast.Term t : ts) {
            if (!directShape(t, out)) {
                return false;
            }
        }
        return true;
    }

    private static int arity(RuleTree.Node fn) {
        return fn.rules.isEmpty() ? fn.defaultRule.args().size() : fn.rules.get(0).args().size();
    }

    private List<Ast.KV> entries(List<Ast.KV> kvs) {
        List<Ast.KV> out = new ArrayList<>(kvs.size());
        for (Ast.KV kv : kvs) {
            out.add(new Ast.KV(term(kv.key()), term(kv.value())));
        }
        return List.copyOf(out);
    }
}
