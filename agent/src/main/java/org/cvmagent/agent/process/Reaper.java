package org.cvmagent.agent.process;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The one thread that collects the exit of every child of the agent — those it spawned and, as PID
 * 1 or a child subreaper, the orphans re-parented to it — and routes each to whoever waits.
 *
 * <p>How an exit is collected: {@code waitid(P_ALL, WEXITED|WNOWAIT)} blocks until some child is a
 * zombie without reaping it; then, holding {@link #lock}, {@code waitpid(pid)} reaps exactly that
 * pid and the exit is routed. Spawning and registering a pid take the same lock, so a child that
 * exits before {@code spawn} registered it is routed only after the registration, and since the
 * pid stays a zombie until it is reaped under the lock, {@link #signal} (which also takes the lock)
 * can never hit a reused pid. WNOWAIT also means a child glibc reaps itself (posix_spawn reaps a
 * child whose exec failed) is never stolen from it.
 *
 * <p>Exits of pids nobody registered (orphans) are kept in a table of the last {@value #ORPHAN_MEMORY}
 * so that {@link #expect} called just after such an exit still gets it. Trade-off: if an orphan's
 * pid is reused by another orphan that also exits before {@code expect}, the caller gets the later
 * exit; and an expect for a pid that exited longer ago than the table remembers finds nothing (the
 * pid is then no longer our child, and expect fails rather than waiting forever).
 *
 * <p>Nothing else in the JVM may reap children: java.lang.Process, which waits by pid, must not be
 * used alongside a Reaper (their exits would be taken by it, or ours by the JDK).
 *
 * <p>Stopping: a thread blocked in waitid cannot be interrupted, so {@link #close()} spawns
 * {@value #WAKE_PROGRAM}, a child that exits at once; the thread stops after collecting it. When
 * there are no children at all (ECHILD) the thread waits on a condition that every spawn signals,
 * instead of spinning.
 */
public final class Reaper implements AutoCloseable {

    /** What close() spawns to wake the waiting thread; present in any rootfs that has a shell. */
    static final String WAKE_PROGRAM = "/bin/true";
    static final int ORPHAN_MEMORY = 1024;
    private static final int P_PID = 1;
    private static final int WNOHANG = 1;

    private final ProcessLibc libc;
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled when a child may have appeared, or when the reaper must stop. */
    private final Condition childrenChanged = lock.newCondition();
    private final Map<Integer, CompletableFuture<ExitStatus>> waiting = new HashMap<>();
    /** Pids spawned or expected and not yet reaped: the only ones {@link #signal} may touch. */
    private final Set<Integer> unreaped = new HashSet<>();
    private final Map<Integer, ExitStatus> orphanExits = new LinkedHashMap<>(64, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Integer, ExitStatus> eldest) {
            return size() > ORPHAN_MEMORY;
        }
    };
    private final Thread thread;
    private long childrenAdded;
    private boolean closing;
    private CompletableFuture<ExitStatus> wakeExit;
    private IOException failure;

    Reaper(ProcessLibc libc) {
        this.libc = libc;
        this.thread = Thread.ofPlatform().name("reaper").daemon().unstarted(this::run);
    }

    /** Binds the C library and starts the reaping thread. */
    public static Reaper start() {
        Reaper reaper = new Reaper(ProcessLibc.load());
        reaper.thread.start();
        return reaper;
    }

    ProcessLibc libc() {
        return libc;
    }

    /**
     * Makes the agent the reaper of orphaned descendants (prctl PR_SET_CHILD_SUBREAPER), which a
     * PID 1 already is; a container init whose runc exited then becomes our child.
     */
    public void becomeSubreaper() throws IOException {
        int r = libc.prctl(ProcessLibc.PR_SET_CHILD_SUBREAPER, 1);
        if (r < 0) {
            throw libc.failure("prctl(PR_SET_CHILD_SUBREAPER)", r);
        }
    }

    /** A call that creates a child and returns its pid. */
    interface ChildFactory {
        int create() throws IOException;
    }

    /**
     * Creates a child and registers it while holding the routing lock, so its exit cannot be
     * routed before it is registered.
     */
    CompletableFuture<ExitStatus> createAndRegister(ChildFactory factory, int[] pid) throws IOException {
        lock.lock();
        try {
            if (failure != null) {
                throw new IOException("the reaper has failed, so no child can be started", failure);
            }
            if (closing) {
                throw new IOException("the reaper is closed, so no child can be started");
            }
            return register(factory, pid);
        } finally {
            lock.unlock();
        }
    }

    private CompletableFuture<ExitStatus> register(ChildFactory factory, int[] pid) throws IOException {
        pid[0] = factory.create();
        CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
        waiting.put(pid[0], exit);
        unreaped.add(pid[0]);
        childrenAdded++;
        childrenChanged.signalAll();
        return exit;
    }

    /**
     * The exit of a pid that became our child by re-parenting (a container init whose runc exited).
     * Completes at once when it already exited (within the orphan memory); fails when the pid is not
     * our child at all, since nothing would ever complete it.
     */
    public CompletableFuture<ExitStatus> expect(long pid) {
        int id = Math.toIntExact(pid);
        lock.lock();
        try {
            ExitStatus known = orphanExits.remove(id);
            if (known != null) {
                return CompletableFuture.completedFuture(known);
            }
            CompletableFuture<ExitStatus> registered = waiting.get(id);
            if (registered != null) {
                return registered;
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment info = arena.allocate(ProcessLibc.SIGINFO_BYTES);
                int r = libc.waitid(P_PID, id, info,
                        ProcessLibc.WEXITED | ProcessLibc.WNOWAIT | WNOHANG | ProcessLibc.WALL);
                if (r < 0) {
                    return CompletableFuture.failedFuture(libc.failure("expect pid " + pid
                            + " (it is not a child of the agent, or it exited too long ago)", r));
                }
            }
            CompletableFuture<ExitStatus> exit = new CompletableFuture<>();
            waiting.put(id, exit);
            unreaped.add(id);
            childrenAdded++;
            childrenChanged.signalAll();
            return exit;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sends {@code signal} to {@code pid} unless its exit was already collected.
     *
     * @return false when the child was already reaped (its pid may belong to someone else now)
     */
    public boolean signal(long pid, int signal) throws IOException {
        return signal(Math.toIntExact(pid), signal);
    }

    boolean signal(int pid, int signal) throws IOException {
        lock.lock();
        try {
            if (!unreaped.contains(pid)) {
                return false;
            }
            int r = libc.kill(pid, signal);
            if (r < 0) {
                throw libc.failure("kill(" + pid + ", " + signal + ")", r);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void run() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(ProcessLibc.SIGINFO_BYTES);
            MemorySegment status = arena.allocate(JAVA_INT);
            while (!stopped()) {
                long seen = childrenAddedNow();
                info.fill((byte) 0);
                int r = libc.waitid(ProcessLibc.P_ALL, 0, info,
                        ProcessLibc.WEXITED | ProcessLibc.WNOWAIT | ProcessLibc.WALL);
                if (r == -ProcessLibc.EINTR) {
                    continue;
                }
                if (r == -ProcessLibc.ECHILD) {
                    awaitChildren(seen);
                    continue;
                }
                if (r < 0) {
                    fail(libc.failure("waitid for any child", r));
                    return;
                }
                collect(info.get(JAVA_INT, ProcessLibc.SIGINFO_PID_OFFSET), status);
            }
        } catch (RuntimeException | Error e) {
            fail(new IOException("the reaper thread died", e));
            throw e;
        }
    }

    private long childrenAddedNow() {
        lock.lock();
        try {
            return childrenAdded;
        } finally {
            lock.unlock();
        }
    }

    private boolean stopped() {
        lock.lock();
        try {
            return closing && (wakeExit == null || wakeExit.isDone());
        } finally {
            lock.unlock();
        }
    }

    /** No children: sleep until a spawn or expect adds one (counted since {@code seen}) or we stop. */
    private void awaitChildren(long seen) {
        lock.lock();
        try {
            while (childrenAdded == seen && !(closing && (wakeExit == null || wakeExit.isDone()))) {
                childrenChanged.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Reaps the zombie {@code pid} that waitid reported and routes its exit. */
    private void collect(int pid, MemorySegment status) {
        CompletableFuture<ExitStatus> exit;
        ExitStatus result;
        lock.lock();
        try {
            int r;
            do {
                r = libc.waitpid(pid, status, ProcessLibc.WALL);
            } while (r == -ProcessLibc.EINTR);
            if (r == -ProcessLibc.ECHILD) {
                // glibc's posix_spawn reaps a child whose exec failed itself; nothing to route.
                return;
            }
            if (r < 0) {
                throw new IllegalStateException(libc.failure("waitpid(" + pid + ")", r));
            }
            result = ExitStatus.fromWaitStatus(status.get(JAVA_INT, 0));
            unreaped.remove(pid);
            exit = waiting.remove(pid);
            if (exit == null) {
                orphanExits.remove(pid);
                orphanExits.put(pid, result);
                return;
            }
        } finally {
            lock.unlock();
        }
        // Completed outside the lock: whatever the waiter runs must not hold up routing.
        exit.complete(result);
    }

    /** Fails closed: every waiter learns that its exit will never be routed, and spawning stops. */
    private void fail(IOException cause) {
        List<CompletableFuture<ExitStatus>> abandoned;
        lock.lock();
        try {
            failure = cause;
            abandoned = new ArrayList<>(waiting.values());
            waiting.clear();
        } finally {
            lock.unlock();
        }
        abandoned.forEach(f -> f.completeExceptionally(cause));
    }

    /**
     * Stops the thread after waking it with a trivial child. Exits of children still running are
     * no longer collected (they stay zombies until the agent exits). Idempotent.
     */
    @Override
    public void close() throws IOException {
        lock.lock();
        try {
            if (closing) {
                return;
            }
            closing = true;
            if (failure == null && thread.isAlive()) {
                NativeSpawn spawn = new NativeSpawn(libc);
                int[] silent = {NativeSpawn.DEV_NULL, NativeSpawn.DEV_NULL, NativeSpawn.DEV_NULL};
                try {
                    wakeExit = register(() -> spawn.spawn(WAKE_PROGRAM, List.of(WAKE_PROGRAM), List.of(), null,
                            silent, false), new int[1]);
                } catch (IOException e) {
                    // The thread may stay blocked in waitid; it is a daemon and holds nothing.
                    throw new IOException("cannot wake the reaper thread to stop it", e);
                }
            }
            childrenChanged.signalAll();
        } finally {
            lock.unlock();
        }
        if (Thread.currentThread() == thread) {
            // Called from an exit callback on the reaper thread itself: it stops after this callback.
            return;
        }
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while stopping the reaper", e);
        }
    }
}
