package org.cvmagent.agent.sandbox;

import io.grpc.Status.Code;
import org.cvmagent.agent.cli.PodClient;
import org.cvmagent.proto.agent.CreateContainerRequest;
import org.cvmagent.proto.agent.LinuxMemory;
import org.cvmagent.proto.agent.LinuxResources;
import org.cvmagent.proto.agent.StatsContainerResponse;
import org.cvmagent.proto.agent.Storage;
import org.cvmagent.rpc.RpcException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A pod through the agent over ttRPC, as a kata shim drives it, with real runc: sandbox, a
 * pause-like container and app containers sharing its namespaces, stdio, exec, TTY, signals,
 * pause/resume, stats, OOM and removal.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PodLifecycleTest {

    private static final String SANDBOX = "pod-sandbox-1";

    @TempDir
    Path dir;

    private PodFixture fixture;
    private PodClient pod;
    private final ExecutorService readers = Executors.newVirtualThreadPerTaskExecutor();

    @BeforeEach
    void startPod() throws Exception {
        fixture = new PodFixture(dir);
        pod = fixture.pod;
        pod.createSandbox(fixture.sandboxRequest(SANDBOX));
        fixture.run(SANDBOX, "sleep", "100000");
    }

    @AfterEach
    void stop() throws Exception {
        readers.shutdownNow();
        fixture.close();
    }

    @Test
    void containersShareTheSandboxNamespacesAndHostname() throws Exception {
        fixture.run("app-1", "sh", "-c", "hostname; for n in ipc uts pid; do readlink /proc/self/ns/$n; done");
        String out = new String(pod.readAll("app-1", "", true), StandardCharsets.UTF_8);
        assertEquals(0, pod.waitProcess("app-1", ""));
        String[] lines = out.split("\n");
        assertEquals("pod-host", lines[0], out);
        long pausePid = fixture.host.sandbox().find(SANDBOX).orElseThrow().init().pid();
        for (String ns : new String[] {"ipc", "uts", "pid"}) {
            String pauseNs = Files.readSymbolicLink(Path.of("/proc", Long.toString(pausePid), "ns", ns)).toString();
            assertTrue(out.contains(pauseNs), ns + " namespace " + pauseNs + " not shared: " + out);
        }
        assertEquals("nameserver 10.96.0.10\nsearch default.svc.cluster.local\n",
                Files.readString(fixture.sandboxRoot.resolve("sandbox/resolv.conf")));
    }

    @Test
    void stdoutAndStderrCarryOneMebibyteOfBinaryDataExactly() throws Exception {
        byte[] data = new byte[1024 * 1024];
        new Random(42).nextBytes(data);
        fixture.rootfs("app-io");
        Files.write(fixture.hostRootfs("app-io").resolve("data.bin"), data);
        fixture.run("app-io", "sh", "-c", "cat /data.bin; cat /data.bin >&2");
        Future<byte[]> err = readers.submit(() -> pod.readAll("app-io", "", false));
        byte[] out = pod.readAll("app-io", "", true);
        assertArrayEquals(data, out);
        assertArrayEquals(data, err.get());
        assertEquals(0, pod.waitProcess("app-io", ""));
    }

    @Test
    void stdinIsEchoedAndCloseStdinEndsIt() throws Exception {
        fixture.run("app-cat", "cat");
        byte[] data = new byte[300_000];
        new Random(7).nextBytes(data);
        Future<byte[]> out = readers.submit(() -> pod.readAll("app-cat", "", true));
        for (int offset = 0; offset < data.length; offset += 50_000) {
            pod.writeStdin("app-cat", "", java.util.Arrays.copyOfRange(data, offset, offset + 50_000));
        }
        pod.closeStdin("app-cat", "");
        assertArrayEquals(data, out.get(30, TimeUnit.SECONDS));
        assertEquals(0, pod.waitProcess("app-cat", ""));
    }

    @Test
    void execIntoARunningContainer() throws Exception {
        fixture.run("app-2", "sleep", "100000");
        pod.exec("app-2", "exec-1", PodFixture.process(false, "sh", "-c", "echo hello; echo oops >&2; exit 3"));
        assertEquals("hello\n", new String(pod.readAll("app-2", "exec-1", true), StandardCharsets.UTF_8));
        assertEquals("oops\n", new String(pod.readAll("app-2", "exec-1", false), StandardCharsets.UTF_8));
        assertEquals(3, pod.waitProcess("app-2", "exec-1"));
        // Waited and drained: the exec is gone and its id can be used again.
        RpcException gone = assertThrows(RpcException.class, () -> pod.waitProcess("app-2", "exec-1"));
        assertEquals(Code.NOT_FOUND, gone.code());
        pod.exec("app-2", "exec-1", PodFixture.process(false, "true"));
        assertEquals(0, pod.waitProcess("app-2", "exec-1"));
    }

    @Test
    void severalWaitersGetTheSameExitCode() throws Exception {
        fixture.run("app-w", "sleep", "100000");
        pod.exec("app-w", "w1", PodFixture.process(false, "sh", "-c", "sleep 0.5; exit 7"));
        Future<Integer> first = readers.submit(() -> pod.waitProcess("app-w", "w1"));
        Future<Integer> second = readers.submit(() -> pod.waitProcess("app-w", "w1"));
        assertEquals(7, first.get());
        assertEquals(7, second.get());
    }

    @Test
    void terminalProcessWithResize() throws Exception {
        fixture.run("app-tty", "sleep", "100000");
        pod.exec("app-tty", "tty-1", PodFixture.process(true, "sh"));
        pod.resize("app-tty", "tty-1", 33, 101);
        pod.writeStdin("app-tty", "tty-1", "stty size; exit 5\n".getBytes(StandardCharsets.UTF_8));
        String screen = new String(pod.readAll("app-tty", "tty-1", true), StandardCharsets.UTF_8);
        assertTrue(screen.contains("33 101"), screen);
        assertEquals(5, pod.waitProcess("app-tty", "tty-1"));
        RpcException noTty = assertThrows(RpcException.class, () -> pod.resize("app-tty", "", 10, 10));
        assertEquals(Code.FAILED_PRECONDITION, noTty.code());
    }

    @Test
    void terminalContainerInit() throws Exception {
        CreateContainerRequest request = fixture.container("app-ttyinit", PodFixture.process(true, "sh", "-c",
                "stty size; echo done"));
        pod.createContainer(request);
        pod.resize("app-ttyinit", "", 20, 60);
        pod.startContainer("app-ttyinit");
        String screen = new String(pod.readAll("app-ttyinit", "", true), StandardCharsets.UTF_8);
        assertTrue(screen.contains("20 60") && screen.contains("done"), screen);
        assertEquals(0, pod.waitProcess("app-ttyinit", ""));
    }

    @Test
    void signalsGiveKataExitCodes() throws Exception {
        fixture.run("app-sig", "sleep", "100000");
        pod.exec("app-sig", "term", PodFixture.process(false, "sleep", "100000"));
        pod.exec("app-sig", "kill", PodFixture.process(false, "sleep", "100000"));
        pod.signal("app-sig", "term", 15);
        assertEquals(143, pod.waitProcess("app-sig", "term"));
        pod.signal("app-sig", "kill", 9);
        assertEquals(137, pod.waitProcess("app-sig", "kill"));
        // The init is PID 1 of its namespace and does not catch SIGTERM: kata sends SIGKILL instead.
        pod.signal("app-sig", "", 15);
        assertEquals(137, pod.waitProcess("app-sig", ""));
    }

    @Test
    void initThatCatchesSigtermExitsItsOwnWay() throws Exception {
        fixture.run("app-trap", "sh", "-c", "trap 'exit 42' TERM; while true; do sleep 0.1; done");
        Thread.sleep(300);
        pod.signal("app-trap", "", 15);
        assertEquals(42, pod.waitProcess("app-trap", ""));
    }

    @Test
    void pauseAndResumeFreezeTheContainer() throws Exception {
        fixture.run("app-p", "sh", "-c", "while true; do echo tick; sleep 0.05; done");
        assertTrue(pod.read("app-p", "", 100, true).length > 0);
        long pid = fixture.host.sandbox().find("app-p").orElseThrow().init().pid();
        pod.pause("app-p");
        assertTrue(frozen(pid));
        drain("app-p");
        Future<byte[]> blocked = readers.submit(() -> pod.read("app-p", "", 100, true));
        Thread.sleep(500);
        assertFalse(blocked.isDone(), "a frozen container printed something");
        pod.resume("app-p");
        assertFalse(frozen(pid));
        assertTrue(blocked.get(10, TimeUnit.SECONDS).length > 0);
        RpcException again = assertThrows(RpcException.class, () -> pod.resume("app-p"));
        assertEquals(Code.FAILED_PRECONDITION, again.code());
    }

    @Test
    void statsAreNonZero() throws Exception {
        fixture.run("app-s", "sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; sleep 100000");
        Thread.sleep(1500);
        StatsContainerResponse stats = pod.stats("app-s");
        assertTrue(stats.getCgroupStats().getMemoryStats().getUsage().getUsage() > 0, stats.toString());
        assertTrue(stats.getCgroupStats().getCpuStats().getCpuUsage().getTotalUsage() > 0, stats.toString());
        assertTrue(stats.getCgroupStats().getPidsStats().getCurrent() >= 1, stats.toString());
        assertFalse(stats.getNetworkStatsList().isEmpty(), stats.toString());
    }

    @Test
    void updateChangesTheMemoryLimit() throws Exception {
        fixture.run("app-u", "sleep", "100000");
        pod.update("app-u", LinuxResources.newBuilder().setMemory(LinuxMemory.newBuilder()
                .setLimit(64L * 1024 * 1024)).build());
        long pid = fixture.host.sandbox().find("app-u").orElseThrow().init().pid();
        assertEquals(64L * 1024 * 1024, memoryLimit(pid));
    }

    @Test
    void oomKillIsReported() throws Exception {
        CompletableFuture<String> event = CompletableFuture.supplyAsync(() -> {
            try {
                return pod.nextOomEvent();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, readers);
        long limit = 32L * 1024 * 1024;
        LinuxResources resources = LinuxResources.newBuilder().setMemory(LinuxMemory.newBuilder()
                .setLimit(limit).setSwap(limit)).build();
        CreateContainerRequest request = CreateContainerRequest.newBuilder().setContainerId("app-oom")
                .setOCI(fixture.spec("app-oom", fixture.rootfs("app-oom"),
                        PodFixture.process(false, "sh", "-c", "tail /dev/zero"), resources))
                .build();
        pod.createContainer(request);
        pod.startContainer("app-oom");
        assertEquals("app-oom", event.get(60, TimeUnit.SECONDS));
        assertEquals(137, pod.waitProcess("app-oom", ""));
    }

    @Test
    void ephemeralStorageIsResizedInPlace() throws Exception {
        String mountPoint = fixture.sandboxRoot + "/sandbox/ephemeral/scratch";
        Storage scratch = Storage.newBuilder().setDriver("ephemeral").setSource("tmpfs").setFstype("tmpfs")
                .setMountPoint(mountPoint).build();
        pod.createContainer(fixture.container("app-e", PodFixture.process(false, "sleep", "100000")).toBuilder()
                .addStorages(scratch).build());
        Files.writeString(Path.of(mountPoint, "kept"), "data");
        pod.updateEphemeralMounts(List.of(scratch.toBuilder().addOptions("remount").addOptions("size=1m").build()));
        assertTrue(mountOptions(mountPoint).contains("size=1024k"), mountOptions(mountPoint));
        assertEquals("data", Files.readString(Path.of(mountPoint, "kept")));
        RpcException other = assertThrows(RpcException.class, () -> pod.updateEphemeralMounts(List.of(
                fixture.sharedStorage())));
        assertEquals(Code.INVALID_ARGUMENT, other.code());
        pod.removeContainer("app-e", 0);
        assertFalse(mountOptions(mountPoint).contains("tmpfs"), "still mounted");
    }

    private static String mountOptions(String mountPoint) throws Exception {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .filter(line -> line.split(" ")[4].equals(mountPoint)).findFirst().orElse("");
    }

    @Test
    void removeWithAndWithoutRunningProcesses() throws Exception {
        fixture.run("app-r1", "true");
        assertEquals(0, pod.waitProcess("app-r1", ""));
        pod.removeContainer("app-r1", 0);
        fixture.run("app-r2", "sleep", "100000");
        pod.exec("app-r2", "e1", PodFixture.process(false, "sleep", "100000"));
        pod.removeContainer("app-r2", 10);
        for (String id : new String[] {"app-r1", "app-r2"}) {
            RpcException e = assertThrows(RpcException.class, () -> pod.startContainer(id));
            assertEquals(Code.NOT_FOUND, e.code());
            assertFalse(Files.exists(fixture.stateDir.resolve("bundles").resolve(id)));
        }
        assertEquals(java.util.List.of(SANDBOX), fixture.host.sandbox().containerIds());
    }

    /** Whether the container's cgroup is frozen (v1 freezer.state, or v2 cgroup.events). */
    static boolean frozen(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "cgroup"))) {
            String[] parts = line.split(":", 3);
            if (parts[1].equals("freezer")) {
                return Files.readString(Path.of("/sys/fs/cgroup/freezer" + parts[2], "freezer.state")).trim()
                        .equals("FROZEN");
            }
            if (parts[0].equals("0") && Files.exists(Path.of("/sys/fs/cgroup" + parts[2], "cgroup.freeze"))) {
                return Files.readString(Path.of("/sys/fs/cgroup" + parts[2], "cgroup.events")).contains("frozen 1");
            }
        }
        throw new AssertionError("no freezer cgroup for " + pid);
    }

    private void drain(String id) throws Exception {
        // Whatever was printed before the freeze.
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
        while (System.nanoTime() < until) {
            Future<byte[]> read = readers.submit(() -> pod.read(id, "", 64 * 1024, true));
            try {
                read.get(200, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                read.cancel(true);
                return;
            }
        }
    }

    /** The container's memory limit from its cgroup (v1 memory controller or v2 memory.max). */
    static long memoryLimit(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "cgroup"))) {
            String[] parts = line.split(":", 3);
            if (parts[1].contains("memory")) {
                return Long.parseLong(Files.readString(Path.of("/sys/fs/cgroup/memory" + parts[2],
                        "memory.limit_in_bytes")).trim());
            }
            if (parts[0].equals("0") && parts[1].isEmpty()
                    && Files.exists(Path.of("/sys/fs/cgroup" + parts[2], "memory.max"))) {
                return Long.parseLong(Files.readString(Path.of("/sys/fs/cgroup" + parts[2], "memory.max")).trim());
            }
        }
        throw new AssertionError("no memory cgroup for " + pid);
    }
}
