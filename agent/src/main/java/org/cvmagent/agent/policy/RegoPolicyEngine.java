package org.cvmagent.agent.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Message;
import org.cvmagent.rpc.MemoryBudget;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * kata-agent's policy semantics (src/agent/policy/src/policy.rs) over a {@link RegoEvaluator}:
 * <ul>
 *   <li>each request queries {@code data.agent_policy.<RequestType>} with the request as
 *       {@link PolicyInput} and the policy state at {@code data.pstate};</li>
 *   <li>{@code true} allows; {@code false} or undefined denies; {@code {"allowed": b, "ops": [..]}}
 *       decides b and, when allowed, applies the JSON-patch ops to the data document (so ops
 *       address {@code /pstate/...});</li>
 *   <li>an evaluation error, a result of another shape, a patch that does not apply, or a
 *       timeout denies;</li>
 *   <li>when the policy defines {@code AllowRequestsFailingPolicy} as true, a request the policy
 *       denies is let through (a debugging aid, logged); errors still deny, as kata answers them
 *       with INTERNAL.</li>
 * </ul>
 * Decisions and state updates are serialized, as kata holds one mutex around its engine: a
 * stateful policy sees requests one at a time, in the order they were decided.
 */
public final class RegoPolicyEngine implements PolicyEngine, ReplaceablePolicy {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);

    static final String ALLOW_FAILURES_RULE = "AllowRequestsFailingPolicy";

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final System.Logger LOG = System.getLogger("org.cvmagent.agent.policy");

    /** What the engine holds: a compiled policy, none (allow all, as kata without policy), or a broken one. */
    private sealed interface Loaded {
    }

    private record NoPolicy() implements Loaded {
    }

    private record Compiled(RegoEvaluator evaluator, boolean allowFailures) implements Loaded {
    }

    private record Broken(String reason) implements Loaded {
    }

    /** The initial policy still compiling: decisions wait for it, so none is made without it. */
    private record Pending(CompletableFuture<Loaded> result) implements Loaded {
    }

    private final RegoCompiler compiler;
    private final Duration timeout;
    private final CopyFileInput.Shape copyFileShape;
    private final DecisionLog log;
    private final ReentrantLock lock = new ReentrantLock();

    // guarded by lock
    private Loaded policy = new NoPolicy();
    // guarded by lock; replaced, never mutated, so an evaluation past its timeout reads a stable copy
    private JsonNode data = initialData();

    public RegoPolicyEngine(RegoCompiler compiler, Duration timeout, CopyFileInput.Shape copyFileShape,
                            DecisionLog log) {
        this.compiler = Objects.requireNonNull(compiler, "compiler");
        this.timeout = timeout;
        this.copyFileShape = copyFileShape;
        this.log = log;
    }

    /** With kata's defaults: 2 s per evaluation, today's CopyFile input, the standard decision log. */
    public RegoPolicyEngine(RegoCompiler compiler) {
        this(compiler, DEFAULT_TIMEOUT, CopyFileInput.Shape.KATA, DecisionLog.standard());
    }

    /**
     * The policy at start (the default policy file or init-data). One that does not compile
     * leaves the engine denying everything: the owner wanted a policy, and guessing what it
     * allows would fail open.
     */
    public void loadInitial(String source, String origin) {
        Loaded loaded = compileInitial(source, origin);
        lock.lock();
        try {
            policy = loaded;
            data = initialData();
        } finally {
            lock.unlock();
        }
    }

    /**
     * As {@link #loadInitial}, but compiled on its own thread: the agent can answer Health (which
     * the policy does not gate) while a large init-data policy compiles, and every request the
     * policy gates waits until it is compiled (or broken), so none is decided without it.
     */
    public void loadInitialConcurrently(String source, String origin) {
        CompletableFuture<Loaded> result = new CompletableFuture<>();
        lock.lock();
        try {
            policy = new Pending(result);
            data = initialData();
        } finally {
            lock.unlock();
        }
        Thread.ofPlatform().name("policy-compile").daemon(true).start(() -> {
            try {
                result.complete(compileInitial(source, origin));
            } catch (Throwable e) {
                // e.g. OutOfMemoryError or StackOverflowError in the compiler: fail closed, and say why
                result.complete(new Broken("policy " + origin + " could not be compiled: " + e));
                LOG.log(System.Logger.Level.ERROR, "policy " + origin + " could not be compiled, every request will"
                        + " be denied: " + e);
            }
        });
    }

    private Loaded compileInitial(String source, String origin) {
        try {
            return compile(source);
        } catch (PolicyCompileException e) {
            LOG.log(System.Logger.Level.ERROR,
                    "policy " + origin + " does not compile, every request will be denied: " + e.getMessage());
            return new Broken("policy " + origin + " does not compile: " + e.getMessage());
        }
    }

    /**
     * SetPolicy: replaces the policy and resets the state, as kata starts a fresh engine. A
     * policy that does not compile is refused and the current one stays (kata would be left with
     * an empty engine; keeping the known policy is the safer of the two).
     */
    @Override
    public void replace(String source) throws PolicyCompileException {
        // compiled before taking the lock: requests keep being decided by the old policy meanwhile
        Compiled compiled = compile(source);
        lock.lock();
        try {
            policy = compiled;
            data = initialData();
        } finally {
            lock.unlock();
        }
    }

    /** The current data document ({@code {"pstate": ...}}), for tools and tests. */
    public JsonNode data() {
        lock.lock();
        try {
            return data.deepCopy();
        } finally {
            lock.unlock();
        }
    }

    /** Evaluates without charging the input to any budget (for tools and tests). */
    @Override
    public PolicyDecision evaluate(String requestType, Message request) {
        return evaluate(requestType, request, MemoryBudget.unbounded().tryReserve(0).orElseThrow());
    }

    /**
     * Builds the input only for a compiled policy, and only after reserving its estimated size
     * ({@link PolicyInputCost}): with no policy or a broken one the decision does not read it, and
     * a hostile request must not make the agent build what its budget cannot hold.
     */
    @Override
    public PolicyDecision evaluate(String requestType, Message request, MemoryBudget.Reservation memory) {
        if (!(currentPolicy() instanceof Compiled)) {
            // Decided below without reading the input; the decision log builds it only if it writes it.
            return evaluate(requestType, () -> PolicyInput.forPolicy(request, copyFileShape));
        }
        memory.grow(PolicyInputCost.of(request), "the policy input of " + requestType);
        JsonNode input;
        try {
            input = PolicyInput.forPolicy(request, copyFileShape);
        } catch (IllegalArgumentException e) {
            // kata refuses such a request before asking the policy
            log.record(requestType, false, false, 0, List.of(), Optional.of(e.getMessage()), false, NODES::nullNode);
            return PolicyDecision.deny(e.getMessage());
        }
        return evaluate(requestType, input);
    }

    private Loaded currentPolicy() {
        Loaded current;
        lock.lock();
        try {
            current = policy;
        } finally {
            lock.unlock();
        }
        if (!(current instanceof Pending pending)) {
            return current;
        }
        // waited for outside the lock: SetPolicy may replace the pending policy meanwhile
        Loaded compiled = pending.result().join();
        lock.lock();
        try {
            if (policy == pending) {
                policy = compiled;
            }
            return policy;
        } finally {
            lock.unlock();
        }
    }

    /** Decides a request already in kata's input shape (for the CLI and tests). */
    public PolicyDecision evaluate(String requestType, JsonNode input) {
        return evaluate(requestType, () -> input);
    }

    /**
     * @param input built when a compiled policy reads it or the decision log writes it; with a
     *              compiled policy the caller has built it already
     */
    private PolicyDecision evaluate(String requestType, Supplier<JsonNode> input) {
        currentPolicy(); // settles a pending initial policy; the decision's time starts after it
        long start = System.nanoTime();
        lock.lock();
        try {
            return decide(requestType, input, start);
        } finally {
            lock.unlock();
        }
    }

    private PolicyDecision decide(String requestType, Supplier<JsonNode> input, long start) {
        switch (policy) {
            case NoPolicy ignored -> {
                log.record(requestType, true, false, micros(start), List.of(), Optional.empty(), false, loggable(input));
                return PolicyDecision.allow();
            }
            case Broken broken -> {
                log.record(requestType, false, false, micros(start), List.of(), Optional.of(broken.reason()), false,
                        loggable(input));
                return PolicyDecision.deny(broken.reason());
            }
            case Compiled compiled -> {
                return decide(compiled, requestType, input.get(), start);
            }
            case Pending pending -> throw new IllegalStateException("decided before the initial policy was settled");
        }
    }

    /** The input for the decision log: one kata would refuse to build is logged as null. */
    private static Supplier<JsonNode> loggable(Supplier<JsonNode> input) {
        return () -> {
            try {
                return input.get();
            } catch (IllegalArgumentException e) {
                return NODES.nullNode();
            }
        };
    }

    private PolicyDecision decide(Compiled compiled, String requestType, JsonNode input, long start) {
        List<String> prints = new ArrayList<>();
        Optional<String> failure = Optional.empty();
        boolean allowed;
        boolean changedState = false;
        try {
            RegoEvaluator.Evaluation evaluation = query(compiled.evaluator(), requestType, input, data);
            prints.addAll(evaluation.prints());
            PolicyResult result = PolicyResult.of(evaluation.value());
            if (result.allowed() && result.ops().isPresent()) {
                data = JsonPatch.apply(data, result.ops().get());
                changedState = !result.ops().get().isEmpty();
            }
            allowed = result.allowed();
        } catch (TimeoutException e) {
            failure = Optional.of("policy evaluation timed out after " + timeout.toMillis() + " ms");
            allowed = false;
        } catch (Exception e) {
            failure = Optional.of("policy evaluation failed: " + e.getMessage());
            allowed = false;
        }
        boolean overridden = !allowed && failure.isEmpty() && compiled.allowFailures();
        log.record(requestType, allowed || overridden, changedState, micros(start), prints, failure, overridden,
                () -> input);
        if (overridden) {
            LOG.log(System.Logger.Level.WARNING,
                    "policy: " + requestType + " denied but allowed by AllowRequestsFailingPolicy");
            return new PolicyDecision(true, prints);
        }
        if (allowed) {
            return new PolicyDecision(true, prints);
        }
        failure.ifPresent(prints::add);
        return new PolicyDecision(false, prints);
    }

    /**
     * Runs the query on its own virtual thread so a runaway evaluation cannot hold the policy
     * lock past the timeout even if the evaluator ignores its deadline; the inputs it reads are
     * never mutated afterwards.
     */
    private RegoEvaluator.Evaluation query(RegoEvaluator evaluator, String rule, JsonNode input, JsonNode data)
            throws Exception {
        JsonNode queryData = data;
        FutureTask<RegoEvaluator.Evaluation> task = new FutureTask<>(() ->
                evaluator.query("data.agent_policy." + rule, input, queryData, timeout));
        Thread.ofVirtual().name("policy-" + rule).start(task);
        try {
            return task.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            task.cancel(true);
            throw e;
        } catch (InterruptedException e) {
            task.cancel(true);
            Thread.currentThread().interrupt();
            throw e;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    private Compiled compile(String source) throws PolicyCompileException {
        RegoEvaluator evaluator;
        try {
            evaluator = compiler.compile(source);
        } catch (Exception e) {
            throw new PolicyCompileException(e.getMessage() == null ? e.toString() : e.getMessage(), e);
        }
        return new Compiled(evaluator, allowFailures(evaluator));
    }

    /** kata asks the policy once, with input {}, whether failing requests are to be let through. */
    private boolean allowFailures(RegoEvaluator evaluator) {
        try {
            RegoEvaluator.Evaluation evaluation = query(evaluator, ALLOW_FAILURES_RULE, NODES.objectNode(), initialData());
            boolean allow = PolicyResult.of(evaluation.value()).allowed();
            if (allow) {
                LOG.log(System.Logger.Level.WARNING,
                        "policy: AllowRequestsFailingPolicy is enabled - requests the policy denies will be allowed");
            }
            return allow;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (Exception e) {
            // as kata: a policy whose flag cannot be read does not get the override
            LOG.log(System.Logger.Level.DEBUG, "policy: " + ALLOW_FAILURES_RULE + " not readable: " + e.getMessage());
            return false;
        }
    }

    private static ObjectNode initialData() {
        ObjectNode data = NODES.objectNode();
        data.putObject("pstate");
        return data;
    }

    private static long micros(long start) {
        return (System.nanoTime() - start) / 1000;
    }
}
