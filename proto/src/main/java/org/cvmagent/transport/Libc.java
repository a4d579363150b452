package org.cvmagent.transport;

import static org.cvmagent.transport.Downcalls.rethrow;
import static org.cvmagent.transport.Downcalls.result;

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

/**
 * The few Linux C library calls the native transports need, bound through the FFM API.
 *
 * <p>Every call returns the C result when it is non-negative and {@code -errno} when it failed, so
 * that expected conditions such as {@code EAGAIN} cost no exception. {@link #failure} turns an errno
 * into an IOException carrying the {@code strerror} text.
 *
 * <p>Constants are the values of Linux on x86_64, aarch64, s390x and ppc64le (the generic ABI).
 */
// Binding native functions is restricted by design; confining it to this class is the point of it.
@SuppressWarnings("restricted")
public final class Libc {

    static final int AF_UNIX = 1;
    static final int AF_VSOCK = 40;
    static final int SOCK_STREAM = 1;
    static final int SOCK_NONBLOCK = 0x800;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int O_RDWR = 2;
    static final int O_NOCTTY = 0x100;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;
    static final int SHUT_RDWR = 2;
    static final int MSG_NOSIGNAL = 0x4000;
    static final int SOL_SOCKET = 1;
    static final int SO_ERROR = 4;

    static final short POLLIN = 0x1;
    static final short POLLOUT = 0x4;
    static final short POLLERR = 0x8;
    static final short POLLHUP = 0x10;
    static final short POLLNVAL = 0x20;

    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final int ENOTCONN = 107;
    static final int ETIMEDOUT = 110;
    static final int ECONNABORTED = 103;
    static final int EINPROGRESS = 115;

    /** {@code struct pollfd {int fd; short events; short revents;}}. */
    static final StructLayout POLLFD = MemoryLayout.structLayout(
            JAVA_INT.withName("fd"),
            JAVA_SHORT.withName("events"),
            JAVA_SHORT.withName("revents"));

    private static final StructLayout CAPTURE = Downcalls.CALL_STATE;

    private final Downcall socket;
    private final Downcall bind;
    private final Downcall listen;
    private final Downcall accept4;
    private final Downcall connect;
    private final Downcall getsockname;
    private final Downcall getsockopt;
    private final Downcall shutdown;
    private final Downcall close;
    private final Downcall read;
    private final Downcall write;
    private final Downcall recv;
    private final Downcall send;
    private final Downcall poll;
    private final Downcall eventfd;
    private final Downcall open;
    private final ErrnoText errors;

    private Libc(Linker linker, SymbolLookup lookup) {
        Linker.Option errno = Linker.Option.captureCallState("errno");
        socket = Downcalls.bind(linker, lookup, "socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), errno);
        bind = Downcalls.bind(linker, lookup, "bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), errno);
        listen = Downcalls.bind(linker, lookup, "listen", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), errno);
        accept4 = Downcalls.bind(linker, lookup, "accept4",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT), errno);
        connect = Downcalls.bind(linker, lookup, "connect", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), errno);
        getsockname = Downcalls.bind(linker, lookup, "getsockname",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), errno);
        getsockopt = Downcalls.bind(linker, lookup, "getsockopt",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS), errno);
        shutdown = Downcalls.bind(linker, lookup, "shutdown", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), errno);
        close = Downcalls.bind(linker, lookup, "close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), errno);
        // The data calls run on non-blocking fds only, so they return at once: bound as critical
        // with heap access, they read into and write from Java arrays directly, with no native
        // buffer to allocate, zero and copy through on every call.
        Linker.Option heap = Linker.Option.critical(true);
        read = Downcalls.bind(linker, lookup, "read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG),
                errno, heap);
        write = Downcalls.bind(linker, lookup, "write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG),
                errno, heap);
        recv = Downcalls.bind(linker, lookup, "recv",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), errno, heap);
        send = Downcalls.bind(linker, lookup, "send",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), errno, heap);
        poll = Downcalls.bind(linker, lookup, "poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), errno);
        eventfd = Downcalls.bind(linker, lookup, "eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), errno);
        // open(2) is variadic: the mode is the first variadic argument.
        open = Downcalls.bind(linker, lookup, "open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
                errno, Linker.Option.firstVariadicArg(2));
        errors = new ErrnoText(linker, lookup);
    }

    /** Binds the calls in the C library the JVM runs on. */
    public static Libc load() {
        Linker linker = Linker.nativeLinker();
        return new Libc(linker, linker.defaultLookup());
    }

    int socket(int domain, int type, int protocol) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            return result((int) socket.handle().invokeExact(state, domain, type, protocol), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int bind(int fd, MemorySegment address) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            return result((int) bind.handle().invokeExact(state, fd, address, (int) address.byteSize()), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int listen(int fd, int backlog) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            return result((int) listen.handle().invokeExact(state, fd, backlog), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** accept4 that stores the peer address in {@code peer} (whose size is the buffer size). */
    int accept4(int fd, MemorySegment peer, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment length = arena.allocateFrom(JAVA_INT, (int) peer.byteSize());
            return result((int) accept4.handle().invokeExact(state, fd, peer, length, flags), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int connect(int fd, MemorySegment address) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            return result((int) connect.handle().invokeExact(state, fd, address, (int) address.byteSize()), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int getsockname(int fd, MemorySegment address) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment length = arena.allocateFrom(JAVA_INT, (int) address.byteSize());
            return result((int) getsockname.handle().invokeExact(state, fd, address, length), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The pending socket error (SO_ERROR) as a positive errno, 0 when none, or {@code -errno}. */
    int socketError(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment value = arena.allocate(JAVA_INT);
            MemorySegment length = arena.allocateFrom(JAVA_INT, (int) JAVA_INT.byteSize());
            int r = result((int) getsockopt.handle().invokeExact(state, fd, SOL_SOCKET, SO_ERROR, value, length), state);
            return r < 0 ? r : value.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int shutdown(int fd, int how) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            return result((int) shutdown.handle().invokeExact(state, fd, how), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int close(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            return result((int) close.handle().invokeExact(state, fd), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    long read(int fd, MemorySegment buffer, long count) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            return result((long) read.handle().invokeExact(state, fd, buffer, count), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    long write(int fd, MemorySegment buffer, long count) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            return result((long) write.handle().invokeExact(state, fd, buffer, count), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    long recv(int fd, MemorySegment buffer, long count, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            return result((long) recv.handle().invokeExact(state, fd, buffer, count, flags), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    long send(int fd, MemorySegment buffer, long count, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            return result((long) send.handle().invokeExact(state, fd, buffer, count, flags), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** poll(2) over {@code count} {@link #POLLFD} entries in {@code fds}. */
    int poll(MemorySegment fds, long count, int timeoutMillis) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            return result((int) poll.handle().invokeExact(state, fds, count, timeoutMillis), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int eventfd(int initialValue, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            return result((int) eventfd.handle().invokeExact(state, initialValue, flags), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int open(String path, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment cPath = arena.allocateFrom(path);
            return result((int) open.handle().invokeExact(state, cPath, flags, 0), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The C library's description of an errno, e.g. "Connection refused". */
    String strerror(int errno) {
        return errors.strerror(errno);
    }

    /** An IOException for a call that failed with {@code -errno}: {@code "<what>: <strerror> (errno N)"}. */
    IOException failure(String what, int negativeErrno) {
        return errors.failure(what, negativeErrno);
    }
}
