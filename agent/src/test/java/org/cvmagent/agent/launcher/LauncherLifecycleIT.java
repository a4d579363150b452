package org.cvmagent.agent.launcher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
 * The agent's life through the shipped launchers, as README's "Using it" and scripts/demo-host run
 * it: {@code bin/cvm-agent} on a unix socket (sandbox root and state under a temporary directory),
 * configured with an image signature policy and a registries.d (read when the agent starts),
 * driven by {@code bin/cvm-agent-ctl}, stopped with SIGTERM.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class LauncherLifecycleIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void servesCallsAndStopsOnSigterm() throws Exception {
        Launchers launchers = Launchers.ofCheckout(dir);
        Path socket = dir.resolve("agent.sock");
        String addr = "unix://" + socket;
        Path registriesD = Files.createDirectories(dir.resolve("registries.d"));
        Files.writeString(registriesD.resolve("default.yaml"), "default-docker:\n  lookaside: file://" + dir.resolve("sigs") + "\n");
        Path imagePolicy = Files.writeString(dir.resolve("policy.json"), "{\"default\": [{\"type\": \"reject\"}]}");
        Path cmdline = Files.writeString(dir.resolve("cmdline"), "agent.image_policy_file=" + imagePolicy
                + " agent.image_registries_d=" + registriesD + "\n");
        Path log = dir.resolve("agent.log");
        Process agent = launchers.agent(Map.of("KATA_AGENT_SERVER_ADDR", addr,
                "CVM_AGENT_SANDBOX_ROOT", dir.resolve("kata").toString(),
                "CVM_AGENT_STATE_DIR", dir.resolve("state").toString()), log, "--cmdline", cmdline.toString());
        try {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.exists(socket) && agent.isAlive() && System.nanoTime() < end) {
                Thread.sleep(50); // the JVM starting: cvm-agent-ctl does not wait for a unix socket to appear
            }
            assertTrue(Files.exists(socket), "the agent did not listen:\n" + Files.readString(log));
            Launchers.Result health = launchers.ctl("--addr", addr, "health");
            assertEquals(0, health.status(), health + "\nagent log:\n" + Files.readString(log));
            assertEquals("SERVING\n", health.out(), health.toString());

            Launchers.Result version = launchers.ctl("--addr", addr, "version");
            assertEquals(0, version.status(), version.toString());
            assertTrue(JSON.readTree(version.out()).path("agent_version").asText().matches("\\d+\\.\\d+.*"), version.out());

            Launchers.Result details = launchers.ctl("--addr", addr, "call", "GetGuestDetails", "{\"mem_block_size\": true}");
            assertEquals(0, details.status(), details.toString());
            JsonNode guest = JSON.readTree(details.out());
            assertTrue(guest.has("mem_block_size_bytes") && guest.has("agent_details"), details.out());

            Launchers.Result unknown = launchers.ctl("--addr", addr, "call", "StartContainer", "{\"container_id\": \"nope\"}");
            assertEquals(1, unknown.status(), unknown.toString());
            assertTrue(unknown.err().startsWith("ERROR NOT_FOUND: "), unknown.toString());
            assertTrue(agent.isAlive(), "the agent keeps serving after an error");
        } finally {
            agent.destroy(); // SIGTERM to the JVM: the launcher exec's java
        }
        assertTrue(agent.waitFor(60, TimeUnit.SECONDS), "the agent did not stop on SIGTERM:\n" + Files.readString(log));
        assertEquals(0, agent.exitValue(), Files.readString(log));
        String lines = Files.readString(log);
        assertTrue(lines.contains("serving ttrpc on " + addr) && lines.contains("agent stopped"), lines);
        assertFalse(lines.contains("Exception"), "no exception in the agent's log:\n" + lines);
        assertFalse(Files.exists(socket), "the socket is removed on stop");
    }
}
