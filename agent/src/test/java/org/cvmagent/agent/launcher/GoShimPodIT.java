package org.cvmagent.agent.launcher;

import org.cvmagent.agent.sandbox.GoShimPodPlan;
import org.cvmagent.agent.sandbox.GoShimPodReport;
import org.cvmagent.agent.sandbox.PodRequests;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Go shim-like client runs a whole pod against the shipped agent, {@code bin/cvm-agent} as a
 * process of its own (sandbox root and state under a temporary directory, development mode, no
 * policy file: everything allowed), in the old runtime generation's manner, whose copies end on
 * the error that follows the empty answer. Then the agent stops cleanly on SIGTERM.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class GoShimPodIT {

    @TempDir
    Path dir;

    @Test
    void theShippedAgentRunsAWholePodForAnOldShim() throws Exception {
        assertTrue(Files.isExecutable(PodRequests.RUNC), "runc is missing: run scripts/setup");
        Launchers launchers = Launchers.ofCheckout(dir);
        Path socket = dir.resolve("agent.sock");
        Path sandboxRoot = dir.resolve("kata");
        Path log = dir.resolve("agent.log");
        Process agent = launchers.agent(Map.of("KATA_AGENT_SERVER_ADDR", "unix://" + socket,
                "CVM_AGENT_SANDBOX_ROOT", sandboxRoot.toString(),
                "CVM_AGENT_STATE_DIR", dir.resolve("state").toString()), log);
        try {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.exists(socket) && agent.isAlive() && System.nanoTime() < end) {
                Thread.sleep(50); // the JVM starting
            }
            assertTrue(Files.exists(socket), "the agent did not listen:\n" + Files.readString(log));
            Path plan = GoShimPodPlan.write(new PodRequests(sandboxRoot, dir.resolve("host-share")),
                    dir.resolve("plan.json"), false);
            GoShimPodReport report = GoShimPodReport.run(socket, plan, GoShimPodReport.Generation.OLD, false);
            report.assertWholePod();
            assertTrue(agent.isAlive(), "the agent serves on after DestroySandbox:\n" + Files.readString(log));
        } finally {
            agent.destroy(); // SIGTERM to the JVM: the launcher exec's java
        }
        assertTrue(agent.waitFor(60, TimeUnit.SECONDS), "the agent did not stop on SIGTERM:\n" + Files.readString(log));
        assertEquals(0, agent.exitValue(), Files.readString(log));
        String lines = Files.readString(log);
        assertTrue(lines.contains("sandbox destroyed"), lines);
        assertFalse(lines.contains("Exception"), "no exception in the agent's log:\n" + lines);
    }
}
