package org.cvmagent.agent.policy.rego;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.cvmagent.agent.policy.JsonPatch;
import org.junit.jupiter.api.Test;

/**
 * A compiled policy is reused for every request of a pod and may be queried from several threads:
 * nothing one query evaluates may leak into the next. Replays a case's requests several times,
 * sequentially and from two threads at once, on one policy and expects the first replay's
 * decisions and print output every time.
 */
class KataPolicyRepeatTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path CASE = KataPolicyTest.CASES.resolve("pod-exec");

    /** Decision and print lines of each request of one replay. */
    private static List<String> replay(RegoPolicy policy, List<KataPolicyTest.Request> requests) throws Exception {
        List<String> out = new ArrayList<>();
        JsonNode data = JSON.createObjectNode().set("pstate", JSON.createObjectNode());
        for (KataPolicyTest.Request r : requests) {
            QueryResult res = policy.query("data.agent_policy." + r.rule(), r.input(), data);
            JsonNode got = res.value().orElse(null);
            out.add(r.rule() + " -> " + got + " " + res.prints());
            if (got != null && got.isObject() && got.has("ops")) {
                data = JsonPatch.apply(data, got.get("ops"));
            }
        }
        return out;
    }

    @Test
    void repeatedReplaysGiveTheSameDecisionsAndPrints() throws Exception {
        RegoPolicy policy = RegoPolicy.compile(List.of(Files.readString(CASE.resolve("policy.rego"))));
        List<KataPolicyTest.Request> requests = KataPolicyTest.requests(CASE);
        List<String> first = replay(policy, requests);
        for (int i = 0; i < 3; i++) {
            assertEquals(first, replay(policy, requests), "replay " + (i + 2));
        }
    }

    @Test
    void concurrentReplaysGiveTheSameDecisionsAndPrints() throws Exception {
        RegoPolicy policy = RegoPolicy.compile(List.of(Files.readString(CASE.resolve("policy.rego"))));
        List<KataPolicyTest.Request> requests = KataPolicyTest.requests(CASE);
        List<String> first = replay(policy, requests);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<List<String>>> runs = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                runs.add(pool.submit(() -> replay(policy, requests)));
            }
            for (Future<List<String>> run : runs) {
                assertEquals(first, run.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
