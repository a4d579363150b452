package org.cvmagent.agent.tty;

import org.cvmagent.transport.Downcall;
import org.cvmagent.transport.Downcalls;
import org.cvmagent.transport.ErrnoText;

import static org.cvmagent.transport.Downcalls.rethrow;
import static org.cvmagent.transport.Downcalls.result;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The C library calls the console socket and the pty master need, bound through the FFM API:
 * a unix listening socket whose messages may carry fds (the JDK's unix channels drop SCM_RIGHTS),
 * and the window-size ioctls.
 *
 * <p>Calls return their C result when non-negative and {@code -errno} when they failed. Constants
 * are Linux's on x86_64, aarch64 and s390x (the generic ABI) and ppc64le, whose terminal ioctl
 * numbers differ; another architecture is an IllegalStateException at load rather than a wrong
 * ioctl later.
 */
// Binding native functions is restricted by design; confining it to this class is the point of it.
@SuppressWarnings("restricted")
final class TtyLibc {

    static final int AF_UNIX = 1;
    static final int SOCK_STREAM = 1;
    static final int SOCK_NONBLOCK = 0x800;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOL_SOCKET = 1;
    static final int SCM_RIGHTS = 1;
    static final int MSG_CTRUNC = 0x8;
    static final int MSG_CMSG_CLOEXEC = 0x40000000;
    static final int F_GETFL = 3;
    static final int F_SETFL = 4;
    static final int F_DUPFD_CLOEXEC = 1030;
    static final int O_NONBLOCK = 0x800;
    static final short POLLIN = 0x1;
    static final int EINTR = 4;
    static final int EAGAIN = 11;
    /** sizeof(sun_path): a unix socket path must be shorter, leaving room for its NUL. */
    static final int SUN_PATH_BYTES = 108;

    private static final StructLayout CAPTURE = Downcalls.CALL_STATE;

    /** The ioctl request numbers; unsigned long in C, and ppc64le's have the top bit of an int set. */
    private final long tiocgwinsz;
    private final long tiocswinsz;
    private final Downcall socket;
    private final Downcall bind;
    private final Downcall listen;
    private final Downcall accept4;
    private final Downcall recvmsg;
    private final Downcall poll;
    private final Downcall fcntl;
    private final Downcall ioctl;
    private final Downcall close;
    private final ErrnoText errors;

    private TtyLibc(Linker linker, SymbolLookup lookup, String arch) {
        switch (arch) {
            case "amd64", "x86_64", "aarch64", "s390x" -> {
                tiocgwinsz = 0x5413;
                tiocswinsz = 0x5414;
            }
            case "ppc64le", "ppc64" -> {
                tiocgwinsz = 0x40087468L;
                tiocswinsz = 0x80087467L;
            }
            default -> throw new IllegalStateException("no terminal ioctl numbers known for architecture " + arch);
        }
        Linker.Option errno = Linker.Option.captureCallState("errno");
        socket = Downcalls.bind(linker, lookup, "socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), errno);
        this.bind = Downcalls.bind(linker, lookup, "bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), errno);
        listen = Downcalls.bind(linker, lookup, "listen", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), errno);
        accept4 = Downcalls.bind(linker, lookup, "accept4",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT), errno);
        recvmsg = Downcalls.bind(linker, lookup, "recvmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT), errno);
        poll = Downcalls.bind(linker, lookup, "poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), errno);
        // fcntl(2) and ioctl(2) are variadic: their argument is the first variadic one.
        fcntl = Downcalls.bind(linker, lookup, "fcntl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT),
                errno, Linker.Option.firstVariadicArg(2));
        ioctl = Downcalls.bind(linker, lookup, "ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS),
                errno, Linker.Option.firstVariadicArg(2));
        close = Downcalls.bind(linker, lookup, "close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), errno);
        errors = new ErrnoText(linker, lookup);
    }

    /** Binds the calls in the C library the JVM runs on. */
    static TtyLibc load() {
        Linker linker = Linker.nativeLinker();
        return new TtyLibc(linker, linker.defaultLookup(), System.getProperty("os.arch"));
    }

    long tiocgwinsz() {
        return tiocgwinsz;
    }

    long tiocswinsz() {
        return tiocswinsz;
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

    /** accept4 without the peer's address, which a unix socket's peer does not meaningfully have. */
    int accept4(int fd, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            return result((int) accept4.handle().invokeExact(state, fd, MemorySegment.NULL, MemorySegment.NULL, flags), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** recvmsg(2) into a {@code struct msghdr} the caller built. */
    long recvmsg(int fd, MemorySegment message, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            return result((long) recvmsg.handle().invokeExact(state, fd, message, flags), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** poll(2) on one fd; returns the reported events, 0 on timeout, or {@code -errno}. */
    int pollOne(int fd, short events, int timeoutMillis) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment pollfd = arena.allocate(8);
            pollfd.set(JAVA_INT, 0, fd);
            pollfd.set(JAVA_SHORT, 4, events);
            int r = result((int) poll.handle().invokeExact(state, pollfd, 1L, timeoutMillis), state);
            return r <= 0 ? r : pollfd.get(JAVA_SHORT, 6) & 0xffff;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int fcntl(int fd, int command, int argument) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            return result((int) fcntl.handle().invokeExact(state, fd, command, argument), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** ioctl(2) whose argument is a pointer. */
    int ioctl(int fd, long request, MemorySegment argument) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            return result((int) ioctl.handle().invokeExact(state, fd, request, argument), state);
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

    /** An IOException for a call that failed with {@code -errno}. */
    IOException failure(String what, int negativeErrno) {
        return errors.failure(what, negativeErrno);
    }
}
