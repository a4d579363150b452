package org.cvmagent.agent.cgroup;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Reports containers whose processes the kernel OOM-killed, for GetOOMEvent: each registered
 * container's memory cgroup {@code oom_kill} counter ({@link OomCounter}) is watched, and every
 * time it is seen to increase the container id is queued once. Concurrent {@link #next()} callers
 * each take a different event; events wait in the queue while nobody asks, like kata's channel.
 *
 * <p>Why polling, on one platform thread for all containers: v1's {@code memory.oom_control}
 * produces no inotify event (v1 notifies only through an eventfd registered in
 * {@code cgroup.event_control}, one per cgroup), and one mechanism for v1 and v2 keeps the guest
 * path the tested one. Reading a few bytes per container every {@value #DEFAULT_INTERVAL_MILLIS}
 * ms is negligible, and the thread sleeps without a timer while nothing is registered. Several
 * kills within one interval are reported as one event, which is all the shim needs (it publishes
 * one TaskOOM per event).
 *
 * <p>Register a container before it runs (after {@code runc create}): the counter's value at
 * registration is the baseline, so a kill before registration is not reported. A watch ends
 * with {@link #unregister} or when its cgroup disappears.
 */
public final class OomMonitor implements AutoCloseable {

    static final long DEFAULT_INTERVAL_MILLIS = 100;
    public static final Duration DEFAULT_INTERVAL = Duration.ofMillis(DEFAULT_INTERVAL_MILLIS);
    /** Events kept for callers that are not asking; beyond it the oldest are dropped (a container OOM-looping while no shim listens). */
    static final int MAX_QUEUED = 1024;

    private static final System.Logger LOG = System.getLogger(OomMonitor.class.getName());

    private final CgroupLocator locator;
    private final long intervalNanos;
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled when an event is queued or the monitor closes. */
    private final Condition eventQueued = lock.newCondition();
    /** Signalled when a watch is added or the monitor closes: wakes the poller. */
    private final Condition watchesChanged = lock.newCondition();
    private final Map<String, Watch> watches = new HashMap<>();
    private final ArrayDeque<String> events = new ArrayDeque<>();
    private final Thread poller;
    private boolean closed;

    /** A registered container; {@code last} is guarded by {@link #lock}. */
    private static final class Watch {
        final OomCounter counter;
        long last;

        Watch(OomCounter counter, long last) {
            this.counter = counter;
            this.last = last;
        }
    }

    private OomMonitor(CgroupLocator locator, Duration interval) {
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval must be positive: " + interval);
        }
        this.locator = locator;
        this.intervalNanos = interval.toNanos();
        this.poller = Thread.ofPlatform().name("oom-monitor").daemon().unstarted(this::poll);
    }

    /** Creates the monitor and starts its one polling thread; {@link #close()} stops it. */
    public static OomMonitor start(CgroupLocator locator, Duration interval) {
        OomMonitor monitor = new OomMonitor(locator, interval);
        monitor.poller.start();
        return monitor;
    }

    /**
     * Watches the memory cgroup of {@code initPid} for {@code containerId}, replacing an earlier
     * registration of the id.
     *
     * @throws NoSuchFileException when the process or its cgroup does not exist
     * @throws IOException         when the process has no memory cgroup, or it cannot be read
     */
    public void register(String containerId, long initPid) throws IOException {
        OomCounter counter = OomCounter.of(locator.locate(initPid));
        Watch watch = new Watch(counter, counter.read());
        lock.lock();
        try {
            if (closed) {
                throw new OomMonitorClosedException();
            }
            watches.put(containerId, watch);
            watchesChanged.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Stops watching; events of the container already queued are still delivered. */
    public void unregister(String containerId) {
        lock.lock();
        try {
            watches.remove(containerId);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits for the next OOM kill and returns the id of its container.
     *
     * @throws OomMonitorClosedException when the monitor is or gets closed
     */
    public String next() throws InterruptedException, OomMonitorClosedException {
        lock.lock();
        try {
            while (events.isEmpty() && !closed) {
                eventQueued.await();
            }
            if (closed) {
                throw new OomMonitorClosedException();
            }
            return events.removeFirst();
        } finally {
            lock.unlock();
        }
    }

    /** Wakes every {@link #next()} caller with {@link OomMonitorClosedException} and stops the polling thread. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            eventQueued.signalAll();
            watchesChanged.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            poller.join();
        } catch (InterruptedException e) {
            // The poller stops by itself at its next wake-up; keep the caller's interrupt.
            Thread.currentThread().interrupt();
        }
    }

    /** Events waiting for a caller (for tests). */
    int queued() {
        lock.lock();
        try {
            return events.size();
        } finally {
            lock.unlock();
        }
    }

    /** Whether the container is watched (for tests). */
    boolean watched(String containerId) {
        lock.lock();
        try {
            return watches.containsKey(containerId);
        } finally {
            lock.unlock();
        }
    }

    private void poll() {
        while (true) {
            Map<String, Watch> snapshot;
            lock.lock();
            try {
                while (watches.isEmpty() && !closed) {
                    watchesChanged.awaitUninterruptibly();
                }
                if (closed) {
                    return;
                }
                snapshot = new HashMap<>(watches);
            } finally {
                lock.unlock();
            }
            // Files are read without the lock so that register/next never wait for cgroupfs.
            Map<Watch, Long> counts = new HashMap<>();
            List<Watch> gone = new ArrayList<>();
            for (Map.Entry<String, Watch> entry : snapshot.entrySet()) {
                try {
                    counts.put(entry.getValue(), entry.getValue().counter.read());
                } catch (NoSuchFileException e) {
                    gone.add(entry.getValue());
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "cannot read the OOM counter of container "
                            + entry.getKey() + " (" + entry.getValue().counter.file() + "): " + e.getMessage());
                }
            }
            lock.lock();
            try {
                for (Map.Entry<String, Watch> entry : snapshot.entrySet()) {
                    Watch watch = entry.getValue();
                    // Skip a watch unregistered or replaced while we were reading.
                    if (watches.get(entry.getKey()) != watch) {
                        continue;
                    }
                    if (gone.contains(watch)) {
                        // The cgroup was removed: no process is left in it to be killed.
                        watches.remove(entry.getKey());
                        continue;
                    }
                    Long count = counts.get(watch);
                    if (count != null && Long.compareUnsigned(count, watch.last) > 0) {
                        watch.last = count;
                        queue(entry.getKey());
                    }
                }
                if (!closed) {
                    watchesChanged.awaitNanos(intervalNanos);
                }
            } catch (InterruptedException e) {
                // Nobody but close() should stop this thread, and close() uses the flag; an
                // interrupt from elsewhere must not end OOM reporting, so the loop continues.
                continue;
            } finally {
                lock.unlock();
            }
        }
    }

    /** Called with the lock held. */
    private void queue(String containerId) {
        if (events.size() >= MAX_QUEUED) {
            String dropped = events.removeFirst();
            LOG.log(System.Logger.Level.WARNING, "OOM event queue full; dropped the oldest event, of container " + dropped);
        }
        events.addLast(containerId);
        eventQueued.signal();
        LOG.log(System.Logger.Level.INFO, "OOM kill in container " + containerId);
    }
}
