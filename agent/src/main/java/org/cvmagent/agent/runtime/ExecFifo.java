package org.cvmagent.agent.runtime;

import org.cvmagent.transport.Downcall;
import org.cvmagent.transport.Downcalls;
import org.cvmagent.transport.ErrnoText;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.function.BooleanSupplier;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.cvmagent.transport.Downcalls.rethrow;
import static org.cvmagent.transport.Downcalls.result;

/**
 * Releases a container that {@code runc create} or {@code crun create} left waiting, as
 * {@code runc start} or {@code crun start} does, without spawning the runtime. The two runtimes
 * name the fifo alike ({@code <root>/<id>/exec.fifo}) but use it in opposite directions.
 *
 * <p>What runc does (read in runc's source, {@code start.go} and
 * {@code libcontainer/container_linux.go}: {@code exec}, {@code awaitFifoOpen}/{@code fifoOpen},
 * {@code handleFifoResult}, {@code readFromExecFifo}; since 1.5's development {@code handleFifo}
 * and {@code waitForFifoReady}), the same in 1.1.5 (Debian's, and the guest image's), 1.2.x,
 * 1.3.x, 1.4.x and main as of 2026-08:
 * <ul>
 * <li>{@code runc create} makes the fifo {@code <root>/<id>/exec.fifo}; {@code runc init}, at the
 *     end of its setup, opens it for writing (blocking until a reader opens it), writes the one
 *     byte {@code "0"}, runs the startContainer hooks and execs the user's process.</li>
 * <li>{@code runc start} checks the status is {@code created} (derived from the init being alive
 *     and the fifo existing: a live init with no fifo is {@code running}), then opens the fifo for
 *     reading. 1.1–1.4 open it blocking on a goroutine and every 100 ms check the init is alive and
 *     no zombie ({@code /proc/<pid>/stat}); if it is dead they try once more without blocking and
 *     otherwise fail with "container process is already dead". main opens it non-blocking and
 *     polls it together with a pidfd of the init (or every 100 ms with the same /proc check).
 *     Either way it reads the content (empty is an error: the init died before writing, or the
 *     fifo was consumed already), then removes the fifo, which turns the status to
 *     {@code running}.</li>
 * <li>Besides, {@code runc start} only handles {@code NOTIFY_SOCKET} from its own environment,
 *     which the agent never sets (it runs runc with {@code PATH} only).</li>
 * <li>Poststart hooks: 1.1.5 to 1.4.x run them in {@code runc create}, right after the init was
 *     started; runc main (commit 3cdda464f, 2026-03, "Move poststart hook from runc create to runc
 *     start", in no release yet) runs them in {@code runc start} after the fifo was read. Releasing
 *     the container ourselves would skip them with that runc, so {@link Runc} keeps
 *     {@code runc start} for a spec with poststart hooks.</li>
 * </ul>
 * {@link #release} does what main does minus the pidfd: a non-blocking open, a poll of the fifo with a
 * check between rounds that the init has not exited (asked of the agent's reaper, which collects
 * it, instead of /proc), a read that must give exactly {@code "0"}, and the
 * fifo's removal.
 *
 * <p>What crun does (read in crun's {@code src/libcrun/status.c} and {@code container.c}:
 * {@code libcrun_status_create_exec_fifo}, {@code libcrun_status_write_exec_fifo},
 * {@code libcrun_container_start}, the init's wait in {@code container_init}; the same from 1.8.1,
 * the guest image's, to main as of 2026-12):
 * <ul>
 * <li>{@code crun create} makes the fifo and opens it for reading, non-blocking; the init keeps
 *     that descriptor and, at the end of its setup, waits until one byte can be read from it,
 *     whatever the byte.</li>
 * <li>{@code crun start} checks the init is alive, opens the fifo for writing, removes it (its
 *     absence is what makes crun report the container running), writes one NUL byte and closes
 *     it; then it runs the poststart hooks, so {@link Runc} keeps {@code crun start} for a spec
 *     that has some.</li>
 * </ul>
 * {@link #signal} does the same, but opens non-blocking: with no reader (the init died) the open
 * fails at once with ENXIO instead of blocking for ever, as crun's blocking open would.
 * No runtime code is copied; this follows the behaviour.
 */
// Binding native functions is restricted by design; confining it to this class is the point of it.
@SuppressWarnings("restricted")
final class ExecFifo {

    /** runc's name for the fifo in a container's state directory (libcontainer's execFifoFilename). */
    static final String NAME = "exec.fifo";

    private static final int O_RDONLY = 0;
    private static final int O_WRONLY = 1;
    private static final int O_NONBLOCK = 0x800;
    private static final int O_CLOEXEC = 0x80000;
    private static final short POLLIN = 0x1;
    private static final short POLLHUP = 0x10;
    private static final int EINTR = 4;
    private static final int EAGAIN = 11;
    private static final int ENOENT = 2;
    private static final int ENXIO = 6;
    /** How often the init's liveness is checked while the fifo stays silent. */
    private static final int CHECK_MILLIS = 50;
    private static final StructLayout CAPTURE = Downcalls.CALL_STATE;

    private static final class Holder {
        static final ExecFifo INSTANCE = load();
    }

    private final Downcall open;
    private final Downcall poll;
    private final Downcall read;
    private final Downcall write;
    private final Downcall close;
    private final ErrnoText errors;

    private ExecFifo(Linker linker, SymbolLookup lookup) {
        Linker.Option errno = Linker.Option.captureCallState("errno");
        // open(2) is variadic: the mode is the first variadic argument.
        open = Downcalls.bind(linker, lookup, "open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
                errno, Linker.Option.firstVariadicArg(2));
        poll = Downcalls.bind(linker, lookup, "poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT),
                errno);
        read = Downcalls.bind(linker, lookup, "read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG),
                errno);
        write = Downcalls.bind(linker, lookup, "write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG),
                errno);
        close = Downcalls.bind(linker, lookup, "close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), errno);
        errors = new ErrnoText(linker, lookup);
    }

    private static ExecFifo load() {
        Linker linker = Linker.nativeLinker();
        return new ExecFifo(linker, linker.defaultLookup());
    }

    /**
     * Releases the container whose state directory is {@code stateDir} ({@code <runc root>/<id>}),
     * whose init is {@code initPid} ({@code initExited}: whether the reaper collected it); fails,
     * without hanging, if the init is dead or does not write
     * within {@code timeout}, if the container was started already, or if the init writes anything
     * but {@code "0"}.
     */
    static void release(String id, Path stateDir, long initPid, BooleanSupplier initExited, Duration timeout)
            throws IOException {
        Holder.INSTANCE.releaseFifo(id, stateDir.resolve(NAME), initPid, initExited, timeout);
    }

    /**
     * Releases the container {@code crun create} left waiting in the state directory
     * {@code stateDir} ({@code <crun root>/<id>}), whose init is {@code initPid}
     * ({@code initExited}: whether the reaper collected it): crun's protocol, see above. Fails,
     * without hanging, if the init is dead or the container was started already.
     */
    static void signal(String id, Path stateDir, long initPid, BooleanSupplier initExited) throws IOException {
        Holder.INSTANCE.signalFifo(id, stateDir.resolve(NAME), initPid, initExited);
    }

    private void signalFifo(String id, Path fifo, long initPid, BooleanSupplier initExited) throws IOException {
        requireFifo(id, fifo);
        if (initExited.getAsBoolean()) {
            throw new IOException("container " + id + "'s init (pid " + initPid + ") exited before it was started");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            int fd = call(open, arena, state, fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
            if (fd == -ENOENT) {
                throw new IOException("container " + id + " has no " + fifo + ": it was started already");
            }
            if (fd == -ENXIO) {
                // Nobody holds the reading end: the init is gone (or dying) without having been released.
                throw new IOException("container " + id + "'s init (pid " + initPid
                        + ") exited before it was started: nothing reads " + fifo);
            }
            if (fd < 0) {
                throw errors.failure("open " + fifo, fd);
            }
            try {
                // Removed before the byte goes, as crun does: once the init runs, the container reads as running.
                Files.delete(fifo);
                MemorySegment nul = arena.allocate(1);
                long n;
                do {
                    try {
                        n = result((long) write.handle().invokeExact(state, fd, nul, 1L), state);
                    } catch (Throwable t) {
                        throw rethrow(t);
                    }
                } while (n == -EINTR);
                if (n < 0) {
                    throw errors.failure("write to " + id + "'s exec fifo", (int) n);
                }
            } finally {
                closeQuietly(fd, state);
            }
        }
    }

    private static void requireFifo(String id, Path fifo) throws IOException {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(fifo, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            throw new IOException("container " + id + " has no " + fifo + ": it was started already, or never created");
        }
        if (!attributes.isOther()) {
            throw new IOException(fifo + " is no fifo");
        }
    }

    private void releaseFifo(String id, Path fifo, long initPid, BooleanSupplier initExited, Duration timeout)
            throws IOException {
        requireFifo(id, fifo);
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            int fd = call(open, arena, state, fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
            if (fd == -ENOENT) {
                throw new IOException("container " + id + " has no " + fifo + ": it was started already");
            }
            if (fd < 0) {
                throw errors.failure("open " + fifo, fd);
            }
            try {
                byte[] content = readWhenReady(fd, arena, state, id, initPid, initExited, deadline, timeout);
                String text = new String(content, StandardCharsets.UTF_8);
                if (content.length == 0) {
                    throw new IOException("container " + id + "'s init (pid " + initPid
                            + ") exited before it was started, or it was started already: nothing in " + fifo);
                }
                if (!"0".equals(text)) {
                    throw new IOException("container " + id + "'s init wrote \"" + text + "\" to " + fifo
                            + ", not \"0\"");
                }
            } finally {
                closeQuietly(fd, state);
            }
        }
        // The fifo gone is what makes runc report the container running.
        Files.deleteIfExists(fifo);
    }

    /**
     * Polls the fifo until it can be read (the init wrote, or it opened and closed it, or it is
     * dead) and reads what is there; empty when the init never wrote.
     */
    private byte[] readWhenReady(int fd, Arena arena, MemorySegment state, String id, long initPid,
                                 BooleanSupplier initExited, long deadline, Duration timeout) throws IOException {
        MemorySegment pollfd = arena.allocate(8, 4);
        MemorySegment buffer = arena.allocate(16);
        boolean initDead = false;
        while (true) {
            pollfd.set(JAVA_INT, 0, fd);
            pollfd.set(JAVA_SHORT, 4, POLLIN);
            pollfd.set(JAVA_SHORT, 6, (short) 0);
            int ready;
            try {
                ready = result((int) poll.handle().invokeExact(state, pollfd, 1L, initDead ? 0 : CHECK_MILLIS), state);
            } catch (Throwable t) {
                throw rethrow(t);
            }
            if (ready == -EINTR) {
                continue;
            }
            if (ready < 0) {
                throw errors.failure("poll " + id + "'s exec fifo", ready);
            }
            short revents = pollfd.get(JAVA_SHORT, 6);
            if (ready > 0 && (revents & (POLLIN | POLLHUP)) != 0 || initDead) {
                long n;
                do {
                    try {
                        n = result((long) read.handle().invokeExact(state, fd, buffer, buffer.byteSize()), state);
                    } catch (Throwable t) {
                        throw rethrow(t);
                    }
                } while (n == -EINTR);
                if (n == -EAGAIN) {
                    // Nothing yet, and a writer still holds it open: the init is between its open
                    // and its write (or, once dead, nothing will come).
                    if (initDead) {
                        return new byte[0];
                    }
                    continue;
                }
                if (n < 0) {
                    throw errors.failure("read " + id + "'s exec fifo", (int) n);
                }
                return buffer.asSlice(0, n).toArray(JAVA_BYTE);
            }
            // Silent for a round: as runc, see whether the init is still there to write. The reaper
            // knows (runc reads /proc/<pid>, which a reused pid would fool).
            if (initExited.getAsBoolean()) {
                initDead = true; // one more non-blocking look, in case it wrote just before dying
                continue;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IOException("container " + id + "'s init (pid " + initPid + ") did not signal through "
                        + NAME + " within " + timeout);
            }
        }
    }

    private int call(Downcall function, Arena arena, MemorySegment state, Path path, int flags) {
        try {
            return result((int) function.handle().invokeExact(state, Downcalls.cString(arena, path.toString()),
                    flags, 0), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private void closeQuietly(int fd, MemorySegment state) {
        try {
            // A close of a fifo fd that was read from cannot fail in a way worth reporting.
            int unused = (int) close.handle().invokeExact(state, fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
