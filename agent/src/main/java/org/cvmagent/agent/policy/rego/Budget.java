package org.cvmagent.agent.policy.rego;

/** The limits of one query (evaluation steps, nesting depth, a wall-clock deadline) and its clock reading. */
final class Budget {
    private final long maxSteps;
    private final int maxDepth;
    private final long deadlineNanos;
    /** time.now_ns: one instant for the whole query, as OPA fixes it. */
    private final long nowEpochNanos;
    /** Results of rand.intn and uuid.rfc4122 by arguments: OPA keeps them stable within a query. */
    final java.util.Map<java.util.List<Value>, Value> randomness = new java.util.HashMap<>();
    private long steps;
    private int depth;
    /** regorus's engine timer when one is set (null otherwise), its start reading and the work since the last reading. */
    private final ExecutionTimer timer;
    private final long timerStart;
    private long unchecked;

    Budget(long maxSteps, int maxDepth, long deadlineNanos) {
        this(maxSteps, maxDepth, deadlineNanos, null);
    }

    Budget(long maxSteps, int maxDepth, long deadlineNanos, ExecutionTimer timer) {
        this.maxSteps = maxSteps;
        this.maxDepth = maxDepth;
        this.deadlineNanos = deadlineNanos;
        this.timer = timer;
        this.timerStart = timer == null ? 0 : timer.clockNanos().getAsLong();
        java.time.Instant now = java.time.Instant.now();
        this.nowEpochNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    long nowEpochNanos() {
        return nowEpochNanos;
    }

    /** Whether the query's time is up, for callers that cannot throw (see DeadlineText). */
    boolean deadlinePassed() {
        return System.nanoTime() - deadlineNanos > 0;
    }

    void step() throws RegoException {
        charge(1);
    }

    /** Charges n steps at once, e.g. for a large collection a builtin builds. */
    void charge(long n) throws RegoException {
        steps += n;
        if (steps > maxSteps) {
            throw new LimitError("eval_limit_error: evaluation exceeded " + maxSteps + " steps");
        }
        if (timer != null) {
            unchecked += n;
            if (unchecked >= timer.checkInterval()) {
                unchecked = 0;
                if (timer.clockNanos().getAsLong() - timerStart > timer.limit().toNanos()) {
                    throw new LimitError("eval_limit_error: execution exceeded time limit");
                }
            }
        }
        if ((steps & 1023) < n || n > 1023) {
            if (System.nanoTime() - deadlineNanos > 0) {
                throw new LimitError("eval_limit_error: execution exceeded time limit");
            }
        }
    }

    void enter() throws RegoException {
        if (++depth > maxDepth) {
            throw new LimitError("eval_limit_error: evaluation exceeded maximum depth " + maxDepth);
        }
    }

    void exit() {
        depth--;
    }
}
