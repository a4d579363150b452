package org.cvmagent.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent as a process: configured by environment and kernel command line, logging JSON lines,
 * serving a CLI, and stopping cleanly on SIGTERM.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class MainProcessTest {

    @TempDir
    Path dir;

    @Test
    void servesAndStopsCleanlyOnSigterm() throws Exception {
        Path socket = dir.resolve("agent.sock");
        Path cmdline = dir.resolve("cmdline");
        Files.writeString(cmdline, "console=hvc0 agent.log=debug agent.server_addr=vsock://-1:1024\n");
        Path log = dir.resolve("agent.log");
        ProcessBuilder builder = new ProcessBuilder(java(), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "--cmdline", cmdline.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("KATA_AGENT_SERVER_ADDR", "unix://" + socket); // env beats the cmdline
        builder.environment().put("CVM_AGENT_SANDBOX_ROOT", dir.resolve("kata").toString());
        builder.environment().put("CVM_AGENT_STATE_DIR", dir.resolve("state").toString());
        Process agent = builder.start();
        try {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!Files.exists(socket) && System.nanoTime() < end && agent.isAlive()) {
                Thread.sleep(20);
            }
            assertTrue(Files.exists(socket), "agent did not listen: " + Files.readString(log));
            Process ctl = new ProcessBuilder(java(), "--enable-native-access=ALL-UNNAMED", "-cp",
                    System.getProperty("java.class.path"), "org.cvmagent.agent.cli.AgentCtl",
                    "--addr", "unix://" + socket, "health").redirectErrorStream(true).start();
            assertTrue(ctl.waitFor(60, TimeUnit.SECONDS));
            assertEquals("SERVING", new String(ctl.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim());
        } finally {
            agent.destroy(); // SIGTERM
        }
        assertTrue(agent.waitFor(30, TimeUnit.SECONDS), "agent did not stop on SIGTERM");
        assertEquals(0, agent.exitValue(), Files.readString(log));
        List<String> lines = Files.readAllLines(log);
        for (String line : lines) {
            assertTrue(line.startsWith("{\"time\":\"") && line.endsWith("}"), "not a JSON log line: " + line);
        }
        String all = String.join("\n", lines);
        assertTrue(all.contains("\"level\":\"debug\""), "agent.log=debug from the cmdline applies: " + all);
        assertTrue(all.contains("serving ttrpc on unix://" + socket), all);
        assertTrue(all.contains("agent stopped"), all);
        assertTrue(!Files.exists(socket), "socket file removed on stop");
    }

    @Test
    void invalidConfigurationStopsWithAMessage() throws Exception {
        Path cmdline = dir.resolve("cmdline");
        Files.writeString(cmdline, "agent.log=shouting\n");
        Process agent = new ProcessBuilder(java(), "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "--cmdline", cmdline.toString()).redirectErrorStream(true).start();
        assertTrue(agent.waitFor(60, TimeUnit.SECONDS));
        String output = new String(agent.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(2, agent.exitValue(), output);
        assertTrue(output.contains("agent.log") && output.contains("shouting"), output);
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
