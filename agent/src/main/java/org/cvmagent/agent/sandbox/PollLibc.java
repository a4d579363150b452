package org.cvmagent.agent.sandbox;

import org.cvmagent.transport.Downcall;
import org.cvmagent.transport.Downcalls;
import org.cvmagent.transport.ErrnoText;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.cvmagent.transport.Downcalls.bind;
import static org.cvmagent.transport.Downcalls.rethrow;
import static org.cvmagent.transport.Downcalls.result;

/**
 * The C library calls of the {@link OutputPoller}, bound through the FFM API: poll(2) over many
 * fds, non-blocking reads straight into Java arrays, and the eventfd that wakes the poll.
 *
 * <p>Calls return their C result when non-negative and {@code -errno} when they failed (the
 * project's convention, see {@link Downcalls}). Calls that need errno take a call-state segment
 * from the caller, so the poll loop allocates none per call. poll(2) rather than epoll: struct
 * pollfd is the same on every architecture (epoll_event is packed on x86_64 only), a paused stream
 * is simply left out of the array (epoll would report a hung-up fd even with no events asked),
 * and the agent polls tens of fds, not thousands.
 */
// Binding native functions is restricted by design; confining it to this class is the point of it.
@SuppressWarnings("restricted")
final class PollLibc {

    static final short POLLIN = 0x1;
    static final short POLLERR = 0x8;
    static final short POLLHUP = 0x10;
    static final short POLLNVAL = 0x20;
    static final int EINTR = 4;
    static final int EIO = 5;
    static final int EAGAIN = 11;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;
    static final int F_GETFL = 3;
    static final int F_SETFL = 4;

    /** struct pollfd: int fd; short events; short revents. */
    static final StructLayout POLLFD = MemoryLayout.structLayout(JAVA_INT.withName("fd"),
            JAVA_SHORT.withName("events"), JAVA_SHORT.withName("revents"));
    static final long POLLFD_BYTES = POLLFD.byteSize();
    static final StructLayout CALL_STATE = Downcalls.CALL_STATE;

    private final Downcall poll;
    private final Downcall read;
    private final Downcall write;
    private final Downcall eventfd;
    private final Downcall fcntl;
    private final Downcall close;
    private final ErrnoText errors;

    private PollLibc(Linker linker, SymbolLookup lookup) {
        Linker.Option errno = Downcalls.CAPTURE_ERRNO;
        poll = bind(linker, lookup, "poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), errno);
        // read(2) runs on non-blocking fds only, so it returns at once: bound as critical with heap
        // access it reads into the Java array that is handed out, with no native buffer to copy through.
        read = bind(linker, lookup, "read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG),
                errno, Linker.Option.critical(true));
        write = bind(linker, lookup, "write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), errno);
        eventfd = bind(linker, lookup, "eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), errno);
        // fcntl(2) is variadic: the argument is the first variadic one.
        fcntl = bind(linker, lookup, "fcntl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT),
                errno, Linker.Option.firstVariadicArg(2));
        close = bind(linker, lookup, "close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), errno);
        errors = new ErrnoText(linker, lookup);
    }

    /** Binds the calls in the C library the JVM runs on. */
    static PollLibc load() {
        Linker linker = Linker.nativeLinker();
        return new PollLibc(linker, linker.defaultLookup());
    }

    /** poll(2) over {@code count} {@link #POLLFD} entries; {@code state} is a {@link #CALL_STATE} segment. */
    int poll(MemorySegment state, MemorySegment fds, long count, int timeoutMillis) {
        try {
            return result((int) poll.handle().invokeExact(state, fds, count, timeoutMillis), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** read(2) of up to {@code length} bytes into {@code target}; 0 at end of stream. */
    long read(MemorySegment state, int fd, byte[] target, int length) {
        try {
            return result((long) read.handle().invokeExact(state, fd, MemorySegment.ofArray(target), (long) length),
                    state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Adds one to an eventfd's counter (what wakes a poll on it). */
    int signal(int eventFd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment one = arena.allocateFrom(JAVA_LONG, 1L);
            return (int) result((long) write.handle().invokeExact(state, eventFd, one, JAVA_LONG.byteSize()), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Reads an eventfd's counter back to zero; {@code -EAGAIN} when it was zero already. */
    int drain(MemorySegment state, int eventFd, byte[] eight) {
        try {
            return (int) result((long) read.handle().invokeExact(state, eventFd, MemorySegment.ofArray(eight),
                    JAVA_LONG.byteSize()), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int eventfd(int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            return result((int) eventfd.handle().invokeExact(state, 0, flags), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Makes {@code fd} non-blocking (a no-op for one that is already). */
    void makeNonBlocking(int fd, String what) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int flags = result((int) fcntl.handle().invokeExact(state, fd, F_GETFL, 0), state);
            if (flags >= 0 && (flags & O_NONBLOCK) != 0) {
                return;
            }
            int set = flags < 0 ? flags
                    : result((int) fcntl.handle().invokeExact(state, fd, F_SETFL, flags | O_NONBLOCK), state);
            if (set < 0) {
                throw failure("make " + what + " non-blocking", set);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int close(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            return result((int) close.handle().invokeExact(state, fd), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** An IOException for a call that failed with {@code -errno}. */
    IOException failure(String what, int negativeErrno) {
        return errors.failure(what, negativeErrno);
    }
}
