package org.cvmagent.attestation.kbs;

import java.time.Duration;

/**
 * How often and how patiently transport failures (I/O errors, 5xx) are retried: at most
 * {@code maxAttempts} tries, the wait doubling from {@code initialBackoff} up to
 * {@code maxBackoff}. Refusals (4xx) are never retried here.
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff, Sleeper sleeper) {

    /** Waits between attempts; a seam so tests need not sleep. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;
    }

    public RetryPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1");
        }
        if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("backoffs must satisfy 0 <= initial <= max");
        }
    }

    /** Five attempts, waiting 0.5 + 1 + 2 + 4 s between them (guest-components tries its RCAR handshake five times). */
    public static RetryPolicy standard() {
        return new RetryPolicy(5, Duration.ofMillis(500), Duration.ofSeconds(8), d -> Thread.sleep(d));
    }

    /** The wait after failed attempt {@code attempt} (1-based). */
    Duration backoffAfter(int attempt) {
        Duration d = initialBackoff;
        for (int i = 1; i < attempt && d.compareTo(maxBackoff) < 0; i++) {
            d = d.multipliedBy(2);
        }
        return d.compareTo(maxBackoff) > 0 ? maxBackoff : d;
    }
}
