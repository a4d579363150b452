package org.cvmagent.agent.policy.rego;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A regex with catastrophic backtracking is stopped by the query's deadline, not left to run. */
class RegexLimitTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void catastrophicBacktrackingEndsAtTheDeadline() throws Exception {
        RegoPolicy policy = RegoPolicy.compile(List.of("""
                package p
                import rego.v1
                hostile if regex.match(`(.*a){12}x`, input.s)
                """));
        // java.util.regex defuses the textbook (a+)+ cases; this one it cannot (C(40,12) paths).
        String subject = "a".repeat(40);
        long start = System.nanoTime();
        RegoException e = assertThrows(RegoException.class, () -> policy.query("data.p.hostile",
                JSON.valueToTree(java.util.Map.of("s", subject)), JSON.createObjectNode(), Duration.ofMillis(200)));
        long elapsed = System.nanoTime() - start;
        assertTrue(e.getMessage().contains("time limit"), e.getMessage());
        assertTrue(elapsed < Duration.ofSeconds(3).toNanos(), "took " + elapsed / 1_000_000 + " ms");
    }
}
