package org.cvmagent.agent.policy.rego;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/** The data document: rules (complete, partial, functions with their calls) over the base documents. */
abstract class RuleEvaluator extends DirectEvaluator {
    RuleEvaluator(RuleTree tree, Builtins builtins, QueryState st, boolean strict) {
        super(tree, builtins, st, strict);
    }

    // ---- data: rules and base documents

    boolean evalData(List<Ast.Term> path, int i, Env env, K k) throws RegoException {
        return walk(tree.root, st.data, path, i, env, k);
    }

    /** Walks the rule tree and the base data side by side; base may be null where no data exists. */
    boolean walk(RuleTree.Node node, Value base, List<Ast.Term> path, int i, Env env, K k)
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
            Optional<Value> v = ruleDocument(node, base);
            return v.isEmpty() || select(v.get(), path, i, env, k);
        }
        if (i == path.size()) {
            // the whole data document from inside a rule includes that rule: regorus gives it as
            // evaluated so far instead of evaluating it again (no recursion error)
            boolean partial = node == tree.root && !st.inProgress.isEmpty();
            return k.accept(partial ? evaluatedSoFar(node, base) : wholeNode(node, base), env);
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

    boolean step(RuleTree.Node node, Value base, Value rawKey, List<Ast.Term> path, int i, Env env, K k)
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
    Value wholeNode(RuleTree.Node node, Value base) throws RegoException {
        if (node == null || st.isMasked(node.path)) {
            return base;
        }
        if (node.hasRules()) {
            if (node.kind == Ast.Kind.FUNCTION) {
                return arity(node) == 0 ? callFunction(node, NO_ARGS) : null;
            }
            return ruleDocument(node, base).orElse(null);
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

    /** As {@link #wholeNode}, but with only the rules this query has already evaluated. */
    private Value evaluatedSoFar(RuleTree.Node node, Value base) throws RegoException {
        if (node == null || st.isMasked(node.path)) {
            return base;
        }
        if (node.hasRules()) {
            Optional<Value> done = node.kind == Ast.Kind.FUNCTION ? null : st.cache.get(node);
            return base != null || done == null ? base : done.orElse(null);
        }
        TreeMap<Value, Value> out = new TreeMap<>();
        if (base instanceof Value.Obj o) {
            out.putAll(o.map());
        }
        for (Map.Entry<String, RuleTree.Node> c : node.children.entrySet()) {
            Value key = Value.str(c.getKey());
            Value v = evaluatedSoFar(c.getValue(), base == null ? null : lookup(base, key));
            if (v != null) {
                out.put(key, v);
            }
        }
        return Values.obj(out);
    }

    /**
     * The document at a rule's path. Where the base data has a value there too, regorus keeps the
     * base value (it merges a rule's value into data only where the base data has none), so a
     * complete or set rule there is not consulted and a partial object adds only the keys the
     * base object lacks.
     */
    private Optional<Value> ruleDocument(RuleTree.Node node, Value base) throws RegoException {
        if (base == null) {
            return ruleValue(node);
        }
        if (node.kind != Ast.Kind.PARTIAL_OBJECT || !(base instanceof Value.Obj b)) {
            return Optional.of(base);
        }
        Optional<Value> v = ruleValue(node);
        if (v.isEmpty() || !(v.get() instanceof Value.Obj r)) {
            return Optional.of(base);
        }
        TreeMap<Value, Value> out = new TreeMap<>(r.map());
        out.putAll(b.map());
        return Optional.of(Values.obj(out));
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

    Optional<Value> computeRule(RuleTree.Node node) throws RegoException {
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
    static boolean constant(Ast.Term t) {
        return switch (t) {
            case Ast.Scalar s -> true;
            case Ast.ArrayLit a -> a.items().stream().allMatch(Evaluator::constant);
            case Ast.SetLit a -> a.items().stream().allMatch(Evaluator::constant);
            case Ast.ObjectLit o -> o.entries().stream().allMatch(kv -> constant(kv.key()) && constant(kv.value()));
            default -> false;
        };
    }

    /** Deep merge of the values p[a][b]... rules give for one key; differing leaves conflict. */
    static Value merge(Value.Obj a, Value.Obj b, RuleTree.Node node) throws RegoException {
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

    boolean headValue(Ast.Rule r, Env env, K k) throws RegoException {
        return r.value() == null ? k.accept(Value.TRUE, env) : evalTerm(r.value(), env, k);
    }

    /** Evaluates a rule and its else branches from env, adding the values it produces. */
    void evalChain(Ast.Rule r, Env env, Outputs values, boolean allSolutions) throws RegoException {
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
    final class BranchOutputs implements BodyK, K {
        final Ast.Rule branch;
        final Outputs values;
        final boolean allSolutions;
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

    boolean evalCall(Ast.Call c, Env env, K k) throws RegoException {
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
    boolean evalWalk(Ast.Call c, Env env, K k) throws RegoException {
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

    void walkPairs(List<Value> path, Value v, List<Value> out) throws RegoException {
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

    RuleTree.Node resolveFunction(String name, Env env) {
        return env.module() == null ? null : tree.function(env.module(), name);
    }

    Value callFunction(RuleTree.Node fn, List<Value> args) throws RegoException {
        return callFunction(fn, args.toArray(new Value[0]));
    }

    Value callFunction(RuleTree.Node fn, Value[] args) throws RegoException {
        st.budget.enter();
        try {
            Outputs values = new Outputs();
            RegoException firstError = null;
            for (Ast.Rule r : fn.rules) {
                try {
                    evalDefinition(r, args, values);
                } catch (LimitError e) {
                    throw e;
                } catch (RegoException e) {
                    // regorus evaluates every definition of a function and keeps a failing one's
                    // error: strict evaluation fails the call with it, otherwise it fails the call
                    // only when no definition gives a value
                    if (strict) {
                        throw e;
                    }
                    firstError = firstError == null ? e : firstError;
                }
            }
            if (values.conflict()) {
                throw new RegoException("eval_conflict_error: functions must not produce multiple outputs for same "
                        + "inputs (" + fn.name() + ")");
            }
            if (values.isEmpty()) {
                if (firstError != null) {
                    throw firstError;
                }
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

    /** Adds the values one definition of a function gives for args to values. */
    private void evalDefinition(Ast.Rule r, Value[] args, Outputs values) throws RegoException {
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
            return;
        }
        for (Ast.Term p : r.args()) {
            declare(p, root);
        }
        bindArgs(r.args(), java.util.Arrays.asList(args), 0, root, e -> {
            evalChain(r, e, values, true);
            return true;
        });
    }

    boolean bindArgs(List<Ast.Term> params, List<Value> args, int i, Env env, BodyK k) throws RegoException {
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

    boolean evalPrint(Ast.Call c, Env env, K k) throws RegoException {
        print(c, env);
        return k.accept(Value.TRUE, env);
    }

    /** Adds one print() line; an argument with no value or several prints them all, or <undefined>. */
    void print(Ast.Call c, Env env) throws RegoException {
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

}
