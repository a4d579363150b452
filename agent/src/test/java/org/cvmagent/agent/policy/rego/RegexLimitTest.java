package org.cvmagent.agent.policy.rego;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Patterns that make a backtracking engine take exponential time are answered in linear time
 * (re2j, or the Pike VM for Unicode word boundaries), well inside the query's deadline.
 */
class RegexLimitTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static void answersQuickly(String pattern, String subject) throws Exception {
        RegoPolicy policy = RegoPolicy.compile(List.of("""
                package p
                import rego.v1
                hostile := regex.match(input.p, input.s)
                """));
        long start = System.nanoTime();
        QueryResult r = policy.query("data.p.hostile", JSON.valueToTree(Map.of("p", pattern, "s", subject)),
                JSON.createObjectNode(), Duration.ofSeconds(20));
        long elapsed = System.nanoTime() - start;
        assertEquals("false", r.value().orElseThrow().toString());
        assertTrue(elapsed < Duration.ofSeconds(5).toNanos(), "took " + elapsed / 1_000_000 + " ms");
    }

    @Test
    void catastrophicBacktrackingIsLinear() throws Exception {
        // java.util.regex needed C(40,12) paths here and ran into the deadline
        answersQuickly("(.*a){12}x", "a".repeat(40));
        answersQuickly("^(a+)+$", "a".repeat(100_000) + "!");
    }

    @Test
    void unicodeWordBoundaryOnNonAsciiTextIsLinearToo() throws Exception {
        answersQuickly("^((25[0-5]|(2[0-4]|1\\d|[1-9]|)\\d)\\.?\\b){4}$", "١".repeat(200_000) + "!");
        // long chains of empty transitions are followed without recursion
        answersQuickly("\\b(?:a?){20000}x\\b", "é" + "a".repeat(20_000));
    }
}
