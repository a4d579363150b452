package org.cvmagent.agent.process;

import org.cvmagent.transport.Downcall;
import org.cvmagent.transport.Downcalls;
import org.cvmagent.transport.ErrnoText;

import static org.cvmagent.transport.Downcalls.bind;
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
 * The C library calls that starting and reaping children needs, bound through the FFM API.
 *
 * <p>Calls that report failure through errno return {@code -errno}; the posix_spawn family returns
 * its error number directly, and {@link #check} turns a non-zero one into an IOException. Needs
 * glibc 2.34 or later ({@code posix_spawn_file_actions_addclosefrom_np}); binding fails at load
 * otherwise, so an agent that cannot close inherited fds in its children does not start children.
 *
 * <p>Constants are those of Linux on x86_64, aarch64, s390x and ppc64le.
 */
// Binding native functions is restricted by design; confining it to this class is the point of it.
@SuppressWarnings("restricted")
final class ProcessLibc {

    static final int O_RDWR = 2;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;
    static final int F_GETFL = 3;
    static final int F_SETFL = 4;
    static final int EINTR = 4;
    static final int ECHILD = 10;
    static final int P_ALL = 0;
    static final int WEXITED = 4;
    static final int WNOWAIT = 0x01000000;
    /** Also wait for children that report to us with a signal other than SIGCHLD. */
    static final int WALL = 0x40000000;
    static final int PR_SET_CHILD_SUBREAPER = 36;
    static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    static final short POSIX_SPAWN_SETSID = 0x80;

    /** glibc's opaque spawn structures are 80 and 336 bytes on 64-bit; this leaves ample room. */
    static final long SPAWN_STRUCT_BYTES = 1024;
    /** glibc's sigset_t is 1024 bits. */
    static final long SIGSET_BYTES = 128;
    /** siginfo_t is 128 bytes; si_pid is the first int of the union, at offset 16 on 64-bit. */
    static final long SIGINFO_BYTES = 128;
    static final long SIGINFO_PID_OFFSET = 16;

    private static final StructLayout CAPTURE = Downcalls.CALL_STATE;

    private final Downcall pipe2;
    private final Downcall fcntl;
    private final Downcall close;
    private final Downcall kill;
    private final Downcall waitid;
    private final Downcall waitpid;
    private final Downcall prctl;
    private final Downcall getpid;
    private final ErrnoText errors;
    private final Downcall posixSpawn;
    private final Downcall actionsInit;
    private final Downcall actionsDestroy;
    private final Downcall actionsDup2;
    private final Downcall actionsOpen;
    private final Downcall actionsChdir;
    private final Downcall actionsCloseFrom;
    private final Downcall attrInit;
    private final Downcall attrDestroy;
    private final Downcall attrSetFlags;
    private final Downcall attrSetSigMask;
    private final Downcall attrSetSigDefault;
    private final Downcall sigEmptySet;
    private final Downcall sigFillSet;

    private ProcessLibc(Linker linker, SymbolLookup lookup) {
        Linker.Option errno = Linker.Option.captureCallState("errno");
        pipe2 = bind(linker, lookup, "pipe2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), errno);
        // fcntl(2) is variadic: the argument is the first variadic one.
        fcntl = bind(linker, lookup, "fcntl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT),
                errno, Linker.Option.firstVariadicArg(2));
        close = bind(linker, lookup, "close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), errno);
        kill = bind(linker, lookup, "kill", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), errno);
        waitid = bind(linker, lookup, "waitid",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), errno);
        waitpid = bind(linker, lookup, "waitpid", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), errno);
        // prctl(2) is variadic after the option.
        prctl = bind(linker, lookup, "prctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG,
                JAVA_LONG, JAVA_LONG), errno, Linker.Option.firstVariadicArg(1));
        getpid = bind(linker, lookup, "getpid", FunctionDescriptor.of(JAVA_INT));
        errors = new ErrnoText(linker, lookup);
        posixSpawn = bind(linker, lookup, "posix_spawn",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        actionsInit = bind(linker, lookup, "posix_spawn_file_actions_init", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        actionsDestroy = bind(linker, lookup, "posix_spawn_file_actions_destroy",
                FunctionDescriptor.of(JAVA_INT, ADDRESS));
        actionsDup2 = bind(linker, lookup, "posix_spawn_file_actions_adddup2",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
        actionsOpen = bind(linker, lookup, "posix_spawn_file_actions_addopen",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
        actionsChdir = bind(linker, lookup, "posix_spawn_file_actions_addchdir_np",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        actionsCloseFrom = bind(linker, lookup, "posix_spawn_file_actions_addclosefrom_np",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        attrInit = bind(linker, lookup, "posix_spawnattr_init", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        attrDestroy = bind(linker, lookup, "posix_spawnattr_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        attrSetFlags = bind(linker, lookup, "posix_spawnattr_setflags",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_SHORT));
        attrSetSigMask = bind(linker, lookup, "posix_spawnattr_setsigmask",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        attrSetSigDefault = bind(linker, lookup, "posix_spawnattr_setsigdefault",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        sigEmptySet = bind(linker, lookup, "sigemptyset", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        sigFillSet = bind(linker, lookup, "sigfillset", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    /** Binds the calls in the C library the JVM runs on. */
    static ProcessLibc load() {
        Linker linker = Linker.nativeLinker();
        return new ProcessLibc(linker, linker.defaultLookup());
    }

    /** pipe2(2); on success {@code fds} holds {read end, write end}. */
    int pipe2(int[] fds, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment pair = arena.allocate(JAVA_INT, 2);
            int r = result((int) pipe2.handle().invokeExact(state, pair, flags), state);
            fds[0] = pair.getAtIndex(JAVA_INT, 0);
            fds[1] = pair.getAtIndex(JAVA_INT, 1);
            return r;
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

    int close(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            return result((int) close.handle().invokeExact(state, fd), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int kill(int pid, int signal) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            return result((int) kill.handle().invokeExact(state, pid, signal), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** waitid(2) into a {@link #SIGINFO_BYTES} buffer. */
    int waitid(int idType, int id, MemorySegment info, int options) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            return result((int) waitid.handle().invokeExact(state, idType, id, info, options), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** waitpid(2); the wait status word lands in {@code status}. */
    int waitpid(int pid, MemorySegment status, int options) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            return result((int) waitpid.handle().invokeExact(state, pid, status, options), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int prctl(int option, long argument) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            return result((int) prctl.handle().invokeExact(state, option, argument, 0L, 0L, 0L), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int getpid() {
        try {
            return (int) getpid.handle().invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** posix_spawn(3); returns 0 or an error number, the child's pid lands in {@code pid}. */
    int posixSpawn(MemorySegment pid, MemorySegment path, MemorySegment actions, MemorySegment attributes,
                   MemorySegment argv, MemorySegment envp) {
        try {
            return (int) posixSpawn.handle().invokeExact(pid, path, actions, attributes, argv, envp);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int fileActionsInit(MemorySegment actions) {
        return invoke(actionsInit, actions);
    }

    int fileActionsDestroy(MemorySegment actions) {
        return invoke(actionsDestroy, actions);
    }

    int fileActionsAddDup2(MemorySegment actions, int fd, int target) {
        try {
            return (int) actionsDup2.handle().invokeExact(actions, fd, target);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int fileActionsAddOpen(MemorySegment actions, int target, MemorySegment path, int flags, int mode) {
        try {
            return (int) actionsOpen.handle().invokeExact(actions, target, path, flags, mode);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int fileActionsAddChdir(MemorySegment actions, MemorySegment path) {
        try {
            return (int) actionsChdir.handle().invokeExact(actions, path);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int fileActionsAddCloseFrom(MemorySegment actions, int lowestFd) {
        try {
            return (int) actionsCloseFrom.handle().invokeExact(actions, lowestFd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int attrInit(MemorySegment attributes) {
        return invoke(attrInit, attributes);
    }

    int attrDestroy(MemorySegment attributes) {
        return invoke(attrDestroy, attributes);
    }

    int attrSetFlags(MemorySegment attributes, short flags) {
        try {
            return (int) attrSetFlags.handle().invokeExact(attributes, flags);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int attrSetSigMask(MemorySegment attributes, MemorySegment set) {
        return invoke(attrSetSigMask, attributes, set);
    }

    int attrSetSigDefault(MemorySegment attributes, MemorySegment set) {
        return invoke(attrSetSigDefault, attributes, set);
    }

    int sigEmptySet(MemorySegment set) {
        return invoke(sigEmptySet, set);
    }

    int sigFillSet(MemorySegment set) {
        return invoke(sigFillSet, set);
    }

    /** Throws for a non-zero error number as returned by the posix_spawn family. */
    void check(int errorNumber, String what) throws IOException {
        if (errorNumber != 0) {
            throw failure(what, -errorNumber);
        }
    }

    private static int invoke(Downcall function, MemorySegment argument) {
        try {
            return (int) function.handle().invokeExact(argument);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static int invoke(Downcall function, MemorySegment first, MemorySegment second) {
        try {
            return (int) function.handle().invokeExact(first, second);
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
