package org.cvmagent.agent.policy.rego;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Queries run on the caller's thread; one whose stack is too small gets the same answer from a deep-stack thread. */
class DeepStackFallbackTest {
    private static final String DEEP = "package p\n"
            + "f(x) = x { x >= 200 }\n"
            + "f(x) = y { x < 200; y := f(x + 1) }\n"
            + "r := f(0)\n";

    @Test
    void aQueryTooDeepForTheCallersStackStillAnswers() throws Exception {
        RegoPolicy policy = RegoPolicy.compile(List.of(DEEP));
        AtomicReference<Object> out = new AtomicReference<>();
        // 64 KiB cannot hold 200 nested calls of continuation-passing evaluation
        Thread small = new Thread(null, () -> {
            try {
                out.set(policy.query("data.p.r", null, null).value().orElse(null));
            } catch (Throwable e) {
                out.set(e);
            }
        }, "small-stack", 64 * 1024);
        small.start();
        small.join();
        assertTrue(out.get() instanceof JsonNode, String.valueOf(out.get()));
        assertEquals(200, ((JsonNode) out.get()).asInt());
    }

    @Test
    void theDepthLimitStillHolds() throws Exception {
        RegoPolicy policy = RegoPolicy.compile(List.of("package p\nf(x) = y { y := f(x + 1) }\nr := f(0)\n"));
        RegoException e = org.junit.jupiter.api.Assertions.assertThrows(RegoException.class,
                () -> policy.query("data.p.r", null, null));
        assertTrue(e.getMessage().contains("depth"), e.getMessage());
    }
}
