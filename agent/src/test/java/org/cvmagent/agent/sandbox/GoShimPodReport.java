package org.cvmagent.agent.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.cvmagent.testing.GoPeer;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.cvmagent.agent.sandbox.GoShimPodPlan.APP;
import static org.cvmagent.agent.sandbox.GoShimPodPlan.EXEC;
import static org.cvmagent.agent.sandbox.GoShimPodPlan.PAUSE;
import static org.cvmagent.agent.sandbox.GoShimPodPlan.UNKNOWN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A run of the Go shim-like client ({@code ttrpc-peer pod}, steps listed in its pod.go) against
 * an agent, and what its report must show for {@link GoShimPodPlan}'s pod.
 */
public final class GoShimPodReport {

    /** kata's runtime generations, as the client's {@code --generation} names them. */
    public enum Generation { OLD, NEW }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration RUN_LIMIT = Duration.ofMinutes(4);
    private static final String EXEC_TARGET = PAUSE + "/" + EXEC;

    private final GoPeer.Result result;
    private final JsonNode report;
    private final Generation generation;
    private final boolean denied;

    private GoShimPodReport(GoPeer.Result result, JsonNode report, Generation generation, boolean denied) {
        this.result = result;
        this.report = report;
        this.generation = generation;
        this.denied = denied;
    }

    /**
     * Runs the client on {@code socket} with the plan {@link GoShimPodPlan#write} made. A missing
     * Go toolchain or ttrpc package fails here (GoPeer throws); a client that printed no report
     * fails too.
     */
    public static GoShimPodReport run(Path socket, Path plan, Generation generation, boolean deniedByPolicy)
            throws IOException {
        List<String> args = new ArrayList<>(List.of("pod", "--socket", socket.toString(), "--plan", plan.toString(),
                "--generation", generation.name().toLowerCase(), "--deadline", "180s"));
        if (deniedByPolicy) {
            args.add("--denied-by-policy");
        }
        GoPeer.Result r = GoPeer.get().run(RUN_LIMIT, args);
        if (r.stdout().isBlank()) {
            fail("ttrpc-peer pod printed no report (exit " + r.exitCode() + "): " + r.stderr());
        }
        return new GoShimPodReport(r, JSON.readTree(r.stdout()), generation, deniedByPolicy);
    }

    /** The steps as "step target" lines, in the client's order. */
    public List<String> stepList() {
        List<String> steps = new ArrayList<>();
        for (JsonNode s : report.path("steps")) {
            steps.add((s.path("step").asText() + " " + s.path("target").asText()).strip());
        }
        return steps;
    }

    public JsonNode json() {
        return report;
    }

    @Override
    public String toString() {
        return "exit " + result.exitCode() + "\n" + report.toPrettyString() + "\nstderr: " + result.stderr();
    }

    /** Every step passed, in the order of pod.go, with the exits, outputs and answers the pod must give. */
    public void assertWholePod() {
        assertEquals(List.of(), JSON.convertValue(report.path("failures"), List.class), this::toString);
        assertEquals(0, result.exitCode(), this::toString);
        assertTrue(report.path("passed").asBoolean(), this::toString);
        assertEquals(expectedSteps(), stepList(), this::toString);

        assertEquals("SERVING", step("health_check", "").path("response").path("status_name").asText(), this::toString);
        assertEquals(GoShimPodPlan.APP_EXIT, exit(APP), this::toString);
        assertEquals(GoShimPodPlan.PAUSE_EXIT, exit(PAUSE), this::toString);
        if (denied) {
            JsonNode exec = step("exec_process", EXEC_TARGET);
            assertEquals("PERMISSION_DENIED", exec.path("code_name").asText(), this::toString);
            assertTrue(exec.path("message").asText().startsWith("ExecProcessRequest is blocked by policy"), this::toString);
            for (String target : List.of(APP, PAUSE)) {
                assertCopy("read_stdout", target, "");
                assertCopy("read_stderr", target, "");
            }
        } else {
            assertEquals(GoShimPodPlan.EXEC_EXIT, exit(EXEC_TARGET), this::toString);
            assertCopy("read_stdout", APP, GoShimPodPlan.APP_STDOUT);
            assertCopy("read_stderr", APP, GoShimPodPlan.APP_STDERR);
            assertCopy("read_stdout", EXEC_TARGET, GoShimPodPlan.EXEC_STDOUT);
            assertCopy("read_stderr", EXEC_TARGET, GoShimPodPlan.EXEC_STDERR);
            assertCopy("read_stdout", PAUSE, GoShimPodPlan.PAUSE_STDOUT);
            assertCopy("read_stderr", PAUSE, GoShimPodPlan.PAUSE_STDERR);
        }
        JsonNode stats = step("stats_container", PAUSE).path("response");
        assertTrue(stats.path("cgroup_stats").asBoolean() && stats.path("pids_current").asLong() >= 1, this::toString);
        assertTrue(step("get_metrics", "").path("response").path("bytes").asLong() > 0, this::toString);
        assertEquals("NOT_FOUND", step("start_unknown_container", UNKNOWN).path("code_name").asText(), this::toString);
    }

    private List<String> expectedSteps() {
        List<String> steps = new ArrayList<>(List.of("health_check", "create_sandbox",
                "create_container " + PAUSE, "start_container " + PAUSE, "create_container " + APP, "start_container " + APP,
                "read_stdout " + APP, "read_stderr " + APP, "wait_process " + APP,
                "stats_container " + PAUSE, "exec_process " + EXEC_TARGET));
        if (!denied) {
            steps.addAll(List.of("read_stdout " + EXEC_TARGET, "read_stderr " + EXEC_TARGET, "wait_process " + EXEC_TARGET));
        }
        steps.addAll(List.of("get_metrics", "start_unknown_container " + UNKNOWN, "signal_process " + PAUSE,
                "read_stdout " + PAUSE, "read_stderr " + PAUSE, "wait_process " + PAUSE,
                "remove_container " + APP, "remove_container " + PAUSE, "destroy_sandbox"));
        return steps;
    }

    /**
     * A copy got exactly {@code expected} and ended its generation's way: a new runtime at the
     * first empty answer; an old one at the error ("read meet eof") after a single empty answer,
     * or, under the policy, after one empty answer per batch of output at most: never spinning.
     */
    private void assertCopy(String stepName, String target, String expected) {
        JsonNode s = step(stepName, target);
        JsonNode copy = s.path("response");
        String where = stepName + " " + target + ": " + s.toPrettyString();
        assertEquals(expected, copy.path("data").asText(), where);
        assertEquals(expected.length(), copy.path("bytes").asInt(), where);
        if (generation == Generation.NEW) {
            assertEquals("empty answer", copy.path("ended_by").asText(), where);
            assertEquals(1, copy.path("empty_reads").asInt(), where);
        } else {
            assertEquals("error answer", copy.path("ended_by").asText(), where);
            assertEquals("INTERNAL", s.path("code_name").asText(), where);
            assertTrue(s.path("message").asText().startsWith("read meet eof"), where);
            if (denied) {
                assertTrue(copy.path("max_consecutive_empty").asInt() <= report.path("max_empty_reads").asInt(), where);
            } else {
                assertEquals(1, copy.path("empty_reads").asInt(), where);
            }
        }
    }

    private int exit(String target) {
        JsonNode wait = step("wait_process", target);
        assertTrue(wait.path("response").has("status"), () -> "no exit status for " + target + ": " + this);
        return wait.path("response").path("status").asInt();
    }

    private JsonNode step(String name, String target) {
        for (JsonNode s : report.path("steps")) {
            if (s.path("step").asText().equals(name) && s.path("target").asText().equals(target)) {
                return s;
            }
        }
        return fail("no step " + name + " " + target + " in " + this);
    }
}
