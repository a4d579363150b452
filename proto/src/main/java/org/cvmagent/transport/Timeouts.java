package org.cvmagent.transport;

import java.time.Duration;
import java.util.Objects;

/** Checks and converts the connect timeouts dialers take. */
final class Timeouts {

    private Timeouts() {
    }

    /** The timeout in milliseconds (at least 1, at most Integer.MAX_VALUE); it must be positive. */
    static int millis(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("connect timeout must be positive, got " + timeout);
        }
        long millis = Math.max(1, timeout.toMillis());
        return (int) Math.min(Integer.MAX_VALUE, millis);
    }
}
