package org.cvmagent.agent.policy.rego;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * regorus's execution timer: evaluation reads the clock once at the start and again after every
 * checkInterval units of work, and fails once more than limit has passed. The clock is a parameter
 * so tests can make time pass in fixed steps per reading, as regorus's own tests do.
 *
 * @param clockNanos a monotonic clock in nanoseconds
 */
public record ExecutionTimer(Duration limit, int checkInterval, LongSupplier clockNanos) {
    public ExecutionTimer {
        if (checkInterval <= 0) {
            throw new IllegalArgumentException("check interval must be positive");
        }
    }

    public ExecutionTimer(Duration limit, int checkInterval) {
        this(limit, checkInterval, System::nanoTime);
    }
}
