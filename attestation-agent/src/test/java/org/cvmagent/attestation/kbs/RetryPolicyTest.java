package org.cvmagent.attestation.kbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    @Test
    void backoffDoublesUpToTheCap() {
        RetryPolicy policy = new RetryPolicy(6, Duration.ofMillis(500), Duration.ofSeconds(3), d -> { });

        assertEquals(Duration.ofMillis(500), policy.backoffAfter(1));
        assertEquals(Duration.ofSeconds(1), policy.backoffAfter(2));
        assertEquals(Duration.ofSeconds(2), policy.backoffAfter(3));
        assertEquals(Duration.ofSeconds(3), policy.backoffAfter(4));
        assertEquals(Duration.ofSeconds(3), policy.backoffAfter(5));
    }

    @Test
    void standardIsFiveAttempts() {
        assertEquals(5, RetryPolicy.standard().maxAttempts());
        assertEquals(Duration.ofSeconds(4), RetryPolicy.standard().backoffAfter(4));
    }

    @Test
    void nonsenseIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new RetryPolicy(0, Duration.ZERO, Duration.ZERO, d -> { }));
        assertThrows(IllegalArgumentException.class,
                () -> new RetryPolicy(1, Duration.ofSeconds(2), Duration.ofSeconds(1), d -> { }));
    }
}
