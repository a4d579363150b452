package org.cvmagent.agent.policy.rego;

/** The limits of one query: evaluation steps, nesting depth and a wall-clock deadline. */
final class Budget {
    private final long maxSteps;
    private final int maxDepth;
    private final long deadlineNanos;
    private long steps;
    private int depth;

    Budget(long maxSteps, int maxDepth, long deadlineNanos) {
        this.maxSteps = maxSteps;
        this.maxDepth = maxDepth;
        this.deadlineNanos = deadlineNanos;
    }

    void step() throws RegoException {
        charge(1);
    }

    /** Charges n steps at once, e.g. for a large collection a builtin builds. */
    void charge(long n) throws RegoException {
        steps += n;
        if (steps > maxSteps) {
            throw new RegoException("eval_limit_error: evaluation exceeded " + maxSteps + " steps");
        }
        if ((steps & 1023) < n || n > 1023) {
            if (System.nanoTime() - deadlineNanos > 0) {
                throw new RegoException("eval_limit_error: execution exceeded time limit");
            }
        }
    }

    void enter() throws RegoException {
        if (++depth > maxDepth) {
            throw new RegoException("eval_limit_error: evaluation exceeded maximum depth " + maxDepth);
        }
    }

    void exit() {
        depth--;
    }
}
