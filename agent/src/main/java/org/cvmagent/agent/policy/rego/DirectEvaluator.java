package org.cvmagent.agent.policy.rego;

import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;

/** Direct evaluation: terms with at most one value and nothing to bind, computed without continuations. */
abstract class DirectEvaluator extends TermEvaluator {
    DirectEvaluator(RuleTree tree, Builtins builtins, QueryState st, boolean strict) {
        super(tree, builtins, st, strict);
    }

    // ---- direct evaluation

    /**
     * Whether t has at most one value and no variables to bind, so {@link #direct} can compute it
     * without continuations: constants, bound variables, input, complete rules, references through
     * those with such keys, calls and operators over such terms, comprehensions. Decided before
     * anything is evaluated, so a term that is not direct after all never runs twice (a print in a
     * called function would repeat).
     */
    boolean directable(Ast.Term t, Env env) {
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

    boolean directKeys(List<Ast.Term> ts, Env env) {
        for (int i = 0; i < ts.size(); i++) {
            if (!directable(ts.get(i), env)) {
                return false;
            }
        }
        return true;
    }

    boolean directEntries(List<Ast.KV> kvs, Env env) {
        for (int i = 0; i < kvs.size(); i++) {
            if (!directable(kvs.get(i).key(), env) || !directable(kvs.get(i).value(), env)) {
                return false;
            }
        }
        return true;
    }

    /** A bound local, input, or a complete rule of the module (what evalVar would find first). */
    boolean directVar(Ast.Var v, Env env) {
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
    RuleTree.Node directRule(Ast.Var v) {
        RuleTree.Node node = v.rule();
        if (v.global() != Ast.Global.RULE || !node.hasRules() || node.kind == Ast.Kind.FUNCTION
                || st.isMasked(node.path)) {
            return null;
        }
        return node;
    }

    boolean directCall(Ast.Call c, Env env) {
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
    Value direct(Ast.Term t, Env env) throws RegoException {
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
        if (t instanceof Ast.Binary b && b.op().equals("or")) {
            Value l = direct(b.left(), env);
            return l == null || l.equals(Value.FALSE) || l.equals(Value.NULL) ? direct(b.right(), env) : l;
        }
        if (t instanceof Ast.Binary b) {
            Value l = direct(b.left(), env);
            Value r = l == null ? null : direct(b.right(), env);
            return r == null ? null : binaryOp(b.op(), l, r);
        }
        return directRare(t, env);
    }

    /** The rarer terms of {@link #direct}, apart so that its common cases stay small enough to inline. */
    Value directRare(Ast.Term t, Env env) throws RegoException {
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

    Value directVarValue(Ast.Var v, Env env) throws RegoException {
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
    Value[] directArgs(List<Ast.Term> ts, Env env) throws RegoException {
        Value[] vals = new Value[ts.size()];
        for (int i = 0; i < vals.length; i++) {
            vals[i] = direct(ts.get(i), env);
            if (vals[i] == null) {
                return null;
            }
        }
        return vals;
    }

    Value directCallValue(Ast.Call c, Env env) throws RegoException {
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

}
