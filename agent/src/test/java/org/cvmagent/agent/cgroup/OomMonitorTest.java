package org.cvmagent.agent.cgroup;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** OomMonitor on fake v1 and v2 trees whose oom_kill counters the test bumps. */
@Timeout(30)
class OomMonitorTest {

    private static final Duration INTERVAL = Duration.ofMillis(20);

    @TempDir
    Path tmp;
    private FakeTree tree;
    private String mountInfo;
    private String membership;
    private OomMonitor monitor;
    private ExecutorService callers;

    @BeforeEach
    void setUp() {
        tree = new FakeTree(tmp);
        String fs = tmp.resolve("cg").toString();
        mountInfo = FakeTree.v1Mount(35, "/", fs + "/memory", "rw,memory") + FakeTree.v2Mount(41, "/", fs + "/unified");
        membership = "";
        callers = Executors.newVirtualThreadPerTaskExecutor();
    }

    @AfterEach
    void tearDown() {
        if (monitor != null) {
            monitor.close();
        }
        callers.shutdownNow();
    }

    /** A v1 container {@code name} in process {@code pid}; returns its memory.oom_control. */
    private Path v1Container(long pid, String name) {
        tree.write("proc/" + pid + "/cgroup", "4:memory:/" + name + "\n0::/" + name + "\n");
        tree.write("cg/memory/" + name + "/memory.oom_control", oomControl(0));
        return tmp.resolve("cg/memory/" + name + "/memory.oom_control");
    }

    /** A v2 container (only a unified hierarchy is mounted); returns its memory.events. */
    private Path v2Container(long pid, String name) {
        tree.write("proc/" + pid + "/cgroup", "0::/" + name + "\n");
        tree.write("cg/unified/" + name + "/memory.events", memoryEvents(0));
        return tmp.resolve("cg/unified/" + name + "/memory.events");
    }

    private OomMonitor start() {
        tree.write("proc/self/mountinfo", mountInfo);
        monitor = OomMonitor.start(new CgroupLocator(tmp.resolve("proc"), tmp.resolve("proc/self/mountinfo")), INTERVAL);
        return monitor;
    }

    private static String oomControl(long kills) {
        return "oom_kill_disable 0\nunder_oom 0\noom_kill " + kills + "\n";
    }

    private static String memoryEvents(long kills) {
        return "low 0\nhigh 0\nmax 12\noom 3\noom_kill " + kills + "\noom_group_kill 0\n";
    }

    private Future<String> nextAsync() {
        return callers.submit(() -> monitor.next());
    }

    @Test
    void v1CounterIncreaseIsReported() throws Exception {
        Path oomControl = v1Container(100, "c1");
        start().register("c1", 100);
        Future<String> next = nextAsync();
        Files.writeString(oomControl, oomControl(1));
        assertEquals("c1", next.get(10, TimeUnit.SECONDS));
    }

    @Test
    void v2CounterIncreaseIsReported() throws Exception {
        mountInfo = FakeTree.v2Mount(30, "/", tmp.resolve("cg/unified").toString());
        Path events = v2Container(200, "c2");
        start().register("c2", 200);
        Files.writeString(events, memoryEvents(2));
        assertEquals("c2", monitor.next());
    }

    @Test
    void killsBeforeRegistrationAreTheBaselineNotEvents() throws Exception {
        Path oomControl = v1Container(100, "c1");
        Files.writeString(oomControl, oomControl(5));
        start().register("c1", 100);
        Future<String> next = nextAsync();
        Thread.sleep(INTERVAL.toMillis() * 5);
        assertFalse(next.isDone());
        Files.writeString(oomControl, oomControl(6));
        assertEquals("c1", next.get(10, TimeUnit.SECONDS));
    }

    @Test
    void eventsQueueWhileNobodyWaitsAndEachGoesToOneCaller() throws Exception {
        Path a = v1Container(101, "a");
        Path b = v1Container(102, "b");
        start();
        monitor.register("a", 101);
        monitor.register("b", 102);
        Files.writeString(a, oomControl(1));
        awaitQueued(1);
        Files.writeString(b, oomControl(1));
        awaitQueued(2);
        Files.writeString(a, oomControl(2));
        awaitQueued(3);

        List<String> got = Collections.synchronizedList(new ArrayList<>());
        List<Future<?>> waiters = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            waiters.add(callers.submit(() -> {
                got.add(monitor.next());
                return null;
            }));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (got.size() < 3 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        Thread.sleep(INTERVAL.toMillis() * 3);
        List<String> sorted = new ArrayList<>(got);
        Collections.sort(sorted);
        assertEquals(List.of("a", "a", "b"), sorted);
        // The fourth caller still waits, and gets the next event.
        Files.writeString(b, oomControl(2));
        for (Future<?> waiter : waiters) {
            waiter.get(10, TimeUnit.SECONDS);
        }
        assertEquals(4, got.size());
        assertEquals("b", got.get(3));
    }

    /** Waits until {@code n} events wait in the monitor's queue (nobody takes them meanwhile). */
    private void awaitQueued(int n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (monitor.queued() < n) {
            assertTrue(System.nanoTime() < deadline, "event " + n + " not queued");
            Thread.sleep(5);
        }
    }

    @Test
    void unregisteredContainerIsNoLongerReported() throws Exception {
        Path oomControl = v1Container(100, "c1");
        start().register("c1", 100);
        monitor.unregister("c1");
        Future<String> next = nextAsync();
        Files.writeString(oomControl, oomControl(1));
        assertThrows(TimeoutException.class, () -> next.get(INTERVAL.toMillis() * 10, TimeUnit.MILLISECONDS));
    }

    @Test
    void closeWakesEveryWaiterWithAnExceptionAndStopsTheThread() throws Exception {
        v1Container(100, "c1");
        start().register("c1", 100);
        List<Future<String>> waiters = List.of(nextAsync(), nextAsync(), nextAsync());
        Thread.sleep(INTERVAL.toMillis() * 2);
        monitor.close();
        for (Future<String> waiter : waiters) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> waiter.get(10, TimeUnit.SECONDS));
            assertInstanceOf(OomMonitorClosedException.class, e.getCause());
        }
        assertThrows(OomMonitorClosedException.class, monitor::next);
        assertThrows(OomMonitorClosedException.class, () -> monitor.register("c1", 100));
        assertFalse(Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("oom-monitor")),
                "the polling thread still runs");
    }

    @Test
    void removedCgroupEndsItsWatchAndOthersGoOn() throws Exception {
        Path gone = v1Container(100, "gone");
        Path kept = v1Container(101, "kept");
        start();
        monitor.register("gone", 100);
        monitor.register("kept", 101);
        Files.delete(gone);
        Files.delete(gone.getParent());
        Thread.sleep(INTERVAL.toMillis() * 3);
        Files.writeString(kept, oomControl(1));
        assertEquals("kept", monitor.next());
        assertFalse(monitor.watched("gone"));
    }

    @Test
    void registeringAMissingProcessFails() {
        start();
        assertThrows(NoSuchFileException.class, () -> monitor.register("x", 999));
    }

    @Test
    void idleMonitorCanBeClosed() {
        CompletableFuture.runAsync(() -> start().close()).orTimeout(10, TimeUnit.SECONDS).join();
    }
}
