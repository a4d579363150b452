package org.cvmagent.agent.cgroup;

import org.cvmagent.proto.agent.MemoryStats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real OOM kill in a real cgroup v1 memory cgroup of this host (the guest is v2; the fake-tree
 * tests cover that file). The child is a java.lang.Process: no Reaper runs in this test JVM
 * (each test class has its own), so the JDK may reap it.
 */
@Timeout(120)
class OomMonitorRealCgroupTest {

    private static final Path V1_MEMORY = Path.of("/sys/fs/cgroup/memory");

    private Path cgroup;
    private Process child;
    private OomMonitor monitor;

    @AfterEach
    void cleanUp() throws Exception {
        if (monitor != null) {
            monitor.close();
        }
        if (child != null) {
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
        }
        if (cgroup != null && Files.isDirectory(cgroup)) {
            // rmdir of a cgroup succeeds once no task is left in it; the killed child may take a moment to leave.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                try {
                    Files.delete(cgroup);
                    break;
                } catch (IOException e) {
                    if (System.nanoTime() > deadline) {
                        throw e;
                    }
                    Thread.sleep(50);
                }
            }
        }
    }

    @Test
    void oomKillInAV1MemoryCgroupIsReported() throws Exception {
        // The build machines have hybrid cgroups (v1 memory controller); the pure-v2 path of the
        // monitor is covered on fake trees in OomMonitorTest and end to end by PodLifecycleTest.
        assertTrue(Files.isRegularFile(V1_MEMORY.resolve("memory.oom_control")), "no cgroup v1 memory controller");
        assertTrue(Files.isWritable(V1_MEMORY), "cannot create memory cgroups (run as root)");
        cgroup = V1_MEMORY.resolve("cvm-agent-oom-" + UUID.randomUUID());
        Files.createDirectory(cgroup);
        Files.writeString(cgroup.resolve("memory.limit_in_bytes"), Long.toString(32L << 20));
        if (Files.exists(cgroup.resolve("memory.memsw.limit_in_bytes"))) {
            // With swap the child would swap instead of being killed.
            Files.writeString(cgroup.resolve("memory.memsw.limit_in_bytes"), Long.toString(32L << 20));
        }

        // The child waits for a line before it starts eating memory, so that it is in the
        // cgroup and registered (the baseline is read) before the kill can happen.
        child = new ProcessBuilder("/bin/sh", "-c", "read go; exec tail /dev/zero")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        Files.writeString(cgroup.resolve("cgroup.procs"), Long.toString(child.pid()));
        monitor = OomMonitor.start(CgroupLocator.system(), OomMonitor.DEFAULT_INTERVAL);
        CgroupPaths paths = CgroupLocator.system().locate(child.pid());
        assertEquals(Optional.of(cgroup), paths.controller("memory"));
        monitor.register("real-container", child.pid());
        CompletableFuture<String> oom = CompletableFuture.supplyAsync(() -> {
            try {
                return monitor.next();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, command -> Thread.ofVirtual().start(command));

        try (OutputStream stdin = child.getOutputStream()) {
            stdin.write('\n');
        }

        assertEquals("real-container", oom.get(60, TimeUnit.SECONDS));
        // Read while the killed child may still be leaving: the cgroup's own counters.
        MemoryStats memory = CgroupStatsReader.system().read(new CgroupPaths(Optional.empty(), Map.of("memory", cgroup)))
                .getMemoryStats();
        assertEquals(32L << 20, memory.getUsage().getLimit());
        assertTrue(memory.getUsage().getMaxUsage() > (16L << 20), memory::toString);
        assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child was not killed");
        assertEquals(137, child.exitValue(), "SIGKILL by the OOM killer");
        assertEquals("1", oomKills());
    }

    private String oomKills() throws IOException {
        for (String line : Files.readAllLines(cgroup.resolve("memory.oom_control"))) {
            if (line.startsWith("oom_kill ")) {
                return line.substring("oom_kill ".length()).trim();
            }
        }
        return "none";
    }
}
