package org.cvmagent.agent.sandbox;

import org.cvmagent.proto.agent.CreateContainerRequest;
import org.cvmagent.proto.agent.Storage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 200 create/start/read/wait/remove cycles (each with an exec and an ephemeral storage): the agent's
 * open fds, threads and mounts must come back to where they started.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class LifecycleLeakTest {

    static final int CYCLES = 200;

    @TempDir
    Path dir;

    @Test
    void cyclesLeaveNoFdsThreadsOrMounts() throws Exception {
        try (PodFixture fixture = new PodFixture(dir)) {
            fixture.pod.createSandbox(fixture.sandboxRequest("leak-pod"));
            fixture.run("leak-pod", "sleep", "100000");
            cycle(fixture, 0); // warm up lazily created JDK and agent threads before counting
            Thread.sleep(200);
            int fds = count("/proc/self/fd");
            int threads = agentThreads().size();
            long mounts = Files.readAllLines(Path.of("/proc/self/mountinfo")).size();
            for (int i = 1; i <= CYCLES; i++) {
                cycle(fixture, i);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while ((count("/proc/self/fd") > fds || agentThreads().size() > threads)
                    && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertEquals(fds, count("/proc/self/fd"), "open fds");
            List<String> after = agentThreads();
            assertTrue(after.size() <= threads, "threads: " + after.size() + " > " + threads + " " + after);
            assertEquals(mounts, Files.readAllLines(Path.of("/proc/self/mountinfo")).size(), "mounts");
        }
    }

    private static void cycle(PodFixture fixture, int i) throws Exception {
        String id = "leak-" + i;
        Storage scratch = Storage.newBuilder().setDriver("ephemeral").setSource("tmpfs").setFstype("tmpfs")
                .setMountPoint(fixture.sandboxRoot + "/sandbox/ephemeral/" + id).build();
        CreateContainerRequest request = fixture.container(id, PodFixture.process(false, "sh", "-c",
                "echo cycle " + i + "; sleep 100000")).toBuilder().addStorages(scratch).build();
        fixture.pod.createContainer(request);
        fixture.pod.startContainer(id);
        fixture.pod.exec(id, "x1", PodFixture.process(false, "echo", "exec " + i));
        assertEquals("exec " + i + "\n", new String(fixture.pod.readAll(id, "x1", true), StandardCharsets.UTF_8));
        assertEquals(0, fixture.pod.waitProcess(id, "x1"));
        assertEquals("cycle " + i + "\n", new String(fixture.pod.read(id, "", 100, true), StandardCharsets.UTF_8));
        fixture.pod.signal(id, "", 9);
        assertEquals(137, fixture.pod.waitProcess(id, ""));
        fixture.pod.removeContainer(id, 10);
    }

    /**
     * The process's platform threads minus the JDK's self-sizing pools: the virtual-thread
     * scheduler's carriers and the common pool's workers start and stop with load (a carrier
     * parks for 30 s before it exits), so they are no leak. JIT and GC threads are not Java threads.
     */
    private static List<String> agentThreads() {
        List<String> names = new ArrayList<>();
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            boolean carrier = thread.getClass().getName().equals("jdk.internal.misc.CarrierThread");
            boolean commonPool = thread instanceof ForkJoinWorkerThread worker
                    && worker.getPool() == ForkJoinPool.commonPool();
            if (thread.isAlive() && !carrier && !commonPool) {
                names.add(thread.getName());
            }
        }
        names.sort(null);
        return names;
    }

    private static int count(String directory) throws Exception {
        try (var entries = Files.list(Path.of(directory))) {
            return (int) entries.count();
        }
    }
}
