package org.cvmagent.agent.policy.rego;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A compiled set of Rego modules. Immutable and safe to query from several threads at once: each
 * query gets its own evaluation state.
 */
public final class RegoPolicy {
    /** Default limits; generous for genpolicy policies, which take well under a millisecond. */
    static final long MAX_STEPS = 5_000_000L;
    static final int MAX_DEPTH = 256;
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    /** Evaluation recurses on the Java stack (one frame chain per literal), so a deep one may need this much. */
    private static final long EVAL_STACK_BYTES = 64L << 20;

    private final RuleTree tree;
    private final Builtins builtins;
    private final List<Ast.Module> modules;
    /** The parsed modules with their `__target__`s, kept when the options enable targets; otherwise empty. */
    private final List<Parser.Parsed> parsed;
    private final RegoOptions options;
    /**
     * Threads with deep stacks for evaluation, kept for reuse (creating one per query would cost
     * more than a typical decision); idle ones end after a minute and none keeps the JVM alive.
     */
    private final java.util.concurrent.ExecutorService evaluators = java.util.concurrent.Executors.newCachedThreadPool(
            r -> {
                Thread t = new Thread(null, r, "rego-eval", EVAL_STACK_BYTES);
                t.setDaemon(true);
                return t;
            });

    private RegoPolicy(RuleTree tree, Builtins builtins, List<Ast.Module> modules, List<Parser.Parsed> parsed,
            RegoOptions options) {
        this.tree = tree;
        this.builtins = builtins;
        this.modules = modules;
        this.parsed = parsed;
        this.options = options;
    }

    /** Parses and compiles modules (Rego v0 with `import future.keywords...`, and v1 `import rego.v1`); errors carry line:column. */
    public static RegoPolicy compile(List<String> modules) throws RegoException {
        return compile(modules, RegoOptions.DEFAULT);
    }

    /** As {@link #compile(List)}, with regorus's extensions and engine settings that options turn on. */
    public static RegoPolicy compile(List<String> modules, RegoOptions options) throws RegoException {
        RuleTree tree = new RuleTree();
        List<Ast.Module> mods = new ArrayList<>();
        List<Parser.Parsed> all = new ArrayList<>();
        int i = 0;
        for (String src : modules) {
            Parser.Parsed p = Parser.parseModule(src, "module" + (i++) + ".rego", options);
            all.add(p);
            mods.add(p.module());
            for (Ast.Rule r : p.rules()) {
                tree.add(r);
            }
        }
        tree.seal(mods);
        Builtins builtins = new Builtins();
        try {
            tree.layOut(r -> CallCheck.check(Layout.layOut(r, tree, builtins)));
        } catch (CallCheck.Failed e) {
            throw e.error;
        }
        return new RegoPolicy(tree, builtins, List.copyOf(mods), options.targets() != null ? List.copyOf(all) : List.of(),
                options);
    }

    /**
     * Compiles for the modules' target as regorus's compile_for_target does (see {@link
     * TargetResolver}); fails when the options have no targets or the policy does not fit its target.
     */
    TargetResolver.Effect resolveTarget() throws RegoException {
        if (options.targets() == null) {
            throw new RegoException("targets are not enabled");
        }
        return TargetResolver.resolve(parsed, options.targets());
    }

    /** The target's effect for input, checked against the effect's schema (an undefined effect is not checked). */
    Optional<Value> evalEffect(TargetResolver.Effect effect, JsonNode input, JsonNode data, boolean strict)
            throws RegoException {
        Optional<Value> v = queryValue(effect.path(), input, data, strict);
        if (v.isPresent()) {
            EffectSchema.validate(effect.schema(), v.get());
        }
        return v;
    }

    /** Evaluates the rule or document at path ("data.pkg.rule") with input and base data. */
    public QueryResult query(String path, JsonNode input, JsonNode data) throws RegoException {
        return query(path, input, data, DEFAULT_TIMEOUT);
    }

    public QueryResult query(String path, JsonNode input, JsonNode data, Duration timeout) throws RegoException {
        return query(path, input, data, timeout, false);
    }

    /** strict: builtin errors fail the query instead of making the call undefined (OPA's strict-builtin-errors). */
    QueryResult query(String path, JsonNode input, JsonNode data, Duration timeout, boolean strict)
            throws RegoException {
        List<String> segments = List.of(path.split("\\."));
        if (segments.isEmpty() || !segments.get(0).equals("data")) {
            throw new RegoException("query path must start with data: " + path);
        }
        return run(timeout, strict, (ev, st) -> {
            Optional<Value> v = ev.evalPath(segments);
            return new QueryResult(v.map(Values::toJson), st.prints);
        }, input, data);
    }

    /** The value at path as the engine holds it (sets stay sets), for the conformance tests. */
    Optional<Value> queryValue(String path, JsonNode input, JsonNode data, boolean strict) throws RegoException {
        List<String> segments = List.of(path.split("\\."));
        return run(DEFAULT_TIMEOUT, strict, (ev, st) -> ev.evalPath(segments), input, data);
    }

    /** Evaluates a query body; each result maps the query's variables to their values. For tests. */
    List<java.util.Map<String, Value>> queryBody(String body, JsonNode input, JsonNode data, boolean strict)
            throws RegoException {
        List<Ast.Lit> lits = Parser.parseQuery(body);
        Ast.Module m = modules.isEmpty() ? null : modules.get(0);
        return run(DEFAULT_TIMEOUT, strict, (ev, st) -> {
            List<java.util.Map<String, Value>> out = new ArrayList<>();
            if (lits.size() == 1 && lits.get(0) instanceof Ast.ExprLit x && x.withs().isEmpty() && !x.negated()
                    && !(x.expr() instanceof Ast.Binary b && (b.op().equals("=") || b.op().equals(":=")))) {
                // a lone expression: its values are the results
                for (Value v : ev.evalValues(x.expr(), m)) {
                    out.add(java.util.Map.of("", v));
                }
                return out;
            }
            for (Env e : ev.evalQuery(lits, m)) {
                java.util.Map<String, Value> row = new java.util.TreeMap<>();
                collectVars(lits, e, row);
                out.add(row);
            }
            return out;
        }, input, data);
    }

    /**
     * For a query of several expressions, each result row as the list of its expressions' values
     * (assignments count as true), the shape regorus and OPA report query results in. Each plain
     * expression is evaluated as a binding of a hidden variable, and a row where one is false fails.
     */
    List<List<Value>> queryExpressionValues(String body, JsonNode input, JsonNode data, boolean strict)
            throws RegoException {
        List<Ast.Lit> lits = Parser.parseQuery(body);
        List<Ast.Lit> rewritten = new ArrayList<>();
        List<String> hidden = new ArrayList<>();
        for (int i = 0; i < lits.size(); i++) {
            Ast.Lit l = lits.get(i);
            if (l instanceof Ast.ExprLit x && !x.negated()
                    && !(x.expr() instanceof Ast.Binary b && (b.op().equals("=") || b.op().equals(":=")))) {
                String name = "expr$" + i;
                hidden.add(name);
                rewritten.add(new Ast.ExprLit(new Ast.Binary("=", new Ast.Var(name, x.line()), x.expr(), x.line()),
                        false, x.withs(), x.line()));
            } else {
                hidden.add(null);
                rewritten.add(l);
            }
        }
        Ast.Module m = modules.isEmpty() ? null : modules.get(0);
        return run(DEFAULT_TIMEOUT, strict, (ev, st) -> {
            List<List<Value>> out = new ArrayList<>();
            for (Env e : ev.evalQuery(rewritten, m)) {
                List<Value> row = new ArrayList<>();
                for (String name : hidden) {
                    row.add(name == null ? Value.TRUE : e.lookup(name));
                }
                if (!row.contains(Value.FALSE)) {
                    out.add(row);
                }
            }
            return out;
        }, input, data);
    }

    private static void collectVars(List<Ast.Lit> lits, Env e, java.util.Map<String, Value> row) {
        for (Ast.Lit l : lits) {
            if (l instanceof Ast.ExprLit x && x.expr() instanceof Ast.Binary b
                    && (b.op().equals("=") || b.op().equals(":="))) {
                // either side of a unification may be the variable the query asks for ("data.p = x")
                for (Ast.Term side : List.of(b.left(), b.right())) {
                    if (side instanceof Ast.Var v) {
                        Value val = e.lookup(v.name());
                        if (val != null && val != Env.UNBOUND && !v.name().startsWith("_$")) {
                            row.put(v.name(), val);
                        }
                    }
                }
            }
        }
    }

    private interface Body<T> {
        T run(Evaluator ev, QueryState st) throws RegoException;
    }

    /**
     * Evaluates on the calling thread, which costs no thread hand-off (on a busy guest each hand-off
     * waits for the scheduler, more than a whole genpolicy decision takes). Only when that thread's
     * stack is too small does the query run again, from scratch, on a deep-stack thread: evaluation
     * has no effects outside its own state, so the retry gives the same answer.
     */
    private <T> T run(Duration timeout, boolean strict, Body<T> body, JsonNode input, JsonNode data) throws RegoException {
        // one deadline for both tries: a retry does not extend the query's time
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            return attempt(deadline, strict, body, input, data);
        } catch (StackOverflowError e) {
            return onDeepStack(deadline, strict, body, input, data);
        } catch (RuntimeException | Error e) {
            // as when the query ran on its own thread: any failure of a query (an OutOfMemoryError
            // from a hostile policy included) is an error of that query, and the caller denies
            throw new RegoException("evaluation failed: " + e, e);
        }
    }

    private <T> T attempt(long deadline, boolean strict, Body<T> body, JsonNode input, JsonNode data)
            throws RegoException {
        Budget budget = new Budget(MAX_STEPS, MAX_DEPTH, deadline, options.timer());
        Value in = input == null || input.isMissingNode() ? null : Values.fromJson(input);
        Value d = data == null || data.isNull() || data.isMissingNode() ? Values.EMPTY_OBJ : Values.fromJson(data);
        QueryState st = new QueryState(in, d, Set.of(), java.util.Map.of(), budget, new PrintLog());
        return body.run(new Evaluator(tree, builtins, st, strict), st);
    }

    private <T> T onDeepStack(long deadline, boolean strict, Body<T> body, JsonNode input, JsonNode data)
            throws RegoException {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        java.util.concurrent.Future<?> done = evaluators.submit(() -> {
            try {
                result.set(attempt(deadline, strict, body, input, data));
            } catch (RegoException | RuntimeException e) {
                failure.set(e);
            } catch (StackOverflowError e) {
                failure.set(new RegoException("eval_limit_error: evaluation nested too deeply", e));
            }
        });
        try {
            done.get();
        } catch (InterruptedException e) {
            done.cancel(true);
            Thread.currentThread().interrupt();
            throw new RegoException("evaluation interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new RegoException("evaluation failed: " + e.getCause(), e.getCause());
        }
        Throwable f = failure.get();
        if (f instanceof RegoException re) {
            throw re;
        }
        if (f != null) {
            throw new RegoException("evaluation failed: " + f, f);
        }
        return result.get();
    }
}
