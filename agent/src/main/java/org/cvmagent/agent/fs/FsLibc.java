package org.cvmagent.agent.fs;

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
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.nio.charset.StandardCharsets;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The Linux calls for opening and creating files beneath a directory fd, bound through the FFM API.
 *
 * <p>Every call returns the C result when it is non-negative and {@code -errno} when it failed, so
 * that expected conditions such as {@code ENOENT} cost no exception. {@link #failure} turns an errno
 * into an IOException carrying the {@code strerror} text.
 *
 * <p>openat2(2) has no glibc wrapper (glibc 2.36, Debian bookworm, exports none), so it is reached
 * through {@code syscall(2)}; its number is 437 on every architecture the agent supports.
 */
// Binding native functions is restricted by design; confining it to this class is the point of it.
@SuppressWarnings("restricted")
final class FsLibc {

    /** openat2's syscall number in the unified table (x86_64, aarch64, s390x, ppc64le). */
    static final long SYS_OPENAT2 = 437;

    static final int O_WRONLY = 01;
    static final int O_CREAT = 0100;
    static final int O_EXCL = 0200;
    static final int O_NOCTTY = 0400;
    static final int O_TRUNC = 01000;
    static final int O_CLOEXEC = 02000000;
    static final int O_PATH = 010000000;

    static final int AT_EMPTY_PATH = 0x1000;
    static final int STATX_TYPE = 0x1;
    static final int S_IFMT = 0170000;
    static final int S_IFREG = 0100000;
    static final int S_IFLNK = 0120000;

    static final long RESOLVE_NO_MAGICLINKS = 0x02;
    static final long RESOLVE_NO_SYMLINKS = 0x04;
    static final long RESOLVE_BENEATH = 0x08;
    static final long RESOLVE_IN_ROOT = 0x10;

    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final int EEXIST = 17;
    static final int ENOTDIR = 20;
    static final int ENOSYS = 38;
    static final int ENAMETOOLONG = 36;
    static final int ELOOP = 40;
    static final int EXDEV = 18;
    static final int O_RDONLY = 0;

    /** {@code struct open_how {u64 flags; u64 mode; u64 resolve;}} (linux/openat2.h). */
    static final StructLayout OPEN_HOW = MemoryLayout.structLayout(
            JAVA_LONG.withName("flags"),
            JAVA_LONG.withName("mode"),
            JAVA_LONG.withName("resolve"));

    private static final StructLayout CAPTURE = Downcalls.CALL_STATE;

    private final long openat2Number;
    private final int oDirectory;
    private final int oNofollow;
    private final Downcall syscall4;
    private final Downcall mkdirat;
    private final Downcall close;
    private final Downcall readlinkat;
    private final Downcall statx;
    private final Downcall pwrite;
    private final Downcall pread;
    private final ErrnoText errors;

    private FsLibc(Linker linker, SymbolLookup lookup, long openat2Number, String arch) {
        this.openat2Number = openat2Number;
        // O_DIRECTORY and O_NOFOLLOW are the two flags whose values differ between architectures.
        switch (arch) {
            case "amd64", "x86_64", "s390x" -> {
                oDirectory = 0200000;
                oNofollow = 0400000;
            }
            case "aarch64", "ppc64le", "ppc64" -> {
                oDirectory = 040000;
                oNofollow = 0100000;
            }
            default -> throw new IllegalStateException(
                    "open flag values for architecture " + arch + " are not known to cvm-agent");
        }
        Linker.Option errno = Linker.Option.captureCallState("errno");
        // syscall(2) is variadic after the number; every argument is passed as a full register
        // (long or pointer) because glibc reads each with va_arg(ap, long).
        syscall4 = bind(linker, lookup, "syscall",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG),
                errno, Linker.Option.firstVariadicArg(1));
        mkdirat = bind(linker, lookup, "mkdirat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), errno);
        close = bind(linker, lookup, "close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), errno);
        statx = bind(linker, lookup, "statx",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS), errno);
        readlinkat = bind(linker, lookup, "readlinkat",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG), errno);
        pwrite = bind(linker, lookup, "pwrite",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG), errno);
        pread = bind(linker, lookup, "pread",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG), errno);
        errors = new ErrnoText(linker, lookup);
    }

    /** Binds the calls in the C library the JVM runs on. */
    static FsLibc load() {
        return load(SYS_OPENAT2);
    }

    /** As {@link #load()}, with another syscall number standing for openat2: tests use it for ENOSYS. */
    static FsLibc load(long openat2Number) {
        Linker linker = Linker.nativeLinker();
        return new FsLibc(linker, linker.defaultLookup(), openat2Number, System.getProperty("os.arch"));
    }

    int oDirectory() {
        return oDirectory;
    }

    int oNofollow() {
        return oNofollow;
    }

    /** openat2(dirfd, path, {flags, mode, resolve}): a new fd or {@code -errno}. */
    int openat2(int dirfd, String path, int flags, int mode, long resolve) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment how = arena.allocate(OPEN_HOW);
            how.set(JAVA_LONG, 0, Integer.toUnsignedLong(flags));
            how.set(JAVA_LONG, 8, Integer.toUnsignedLong(mode));
            how.set(JAVA_LONG, 16, resolve);
            long r = (long) syscall4.handle().invokeExact(state, openat2Number, (long) dirfd, Downcalls.cString(arena, path), how,
                    OPEN_HOW.byteSize());
            return r < 0 ? -Downcalls.errno(state) : (int) r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int mkdirat(int dirfd, String name, int mode) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            return result((int) mkdirat.handle().invokeExact(state, dirfd, Downcalls.cString(arena, name), mode), state);
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

    /**
     * The file type bits ({@code st_mode & S_IFMT}) of what {@code fd} refers to, or {@code -errno}.
     * statx is used because its layout, unlike struct stat's, is the same on every architecture.
     */
    int fileType(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            // struct statx is 256 bytes; stx_mode is the u16 at offset 28.
            MemorySegment buffer = arena.allocate(256, 8);
            int r = result((int) statx.handle().invokeExact(state, fd, Downcalls.cString(arena, ""), AT_EMPTY_PATH, STATX_TYPE, buffer),
                    state);
            return r < 0 ? r : Short.toUnsignedInt(buffer.get(JAVA_SHORT, 28)) & S_IFMT;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The target of the symbolic link {@code name} in {@code dirfd}; {@code null} with errno in {@code error[0]}. */
    String readlinkat(int dirfd, String name, int[] error) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            // PATH_MAX; a longer target could not be followed by the kernel either.
            MemorySegment buffer = arena.allocate(4096);
            long n = (long) readlinkat.handle().invokeExact(state, dirfd, Downcalls.cString(arena, name), buffer, buffer.byteSize());
            if (n < 0) {
                error[0] = -Downcalls.errno(state);
                return null;
            }
            if (n == buffer.byteSize()) {
                error[0] = -ENAMETOOLONG;
                return null;
            }
            return new String(buffer.asSlice(0, n).toArray(JAVA_BYTE), StandardCharsets.UTF_8);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    long pwrite(int fd, MemorySegment buffer, long count, long offset) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            long r = (long) pwrite.handle().invokeExact(state, fd, buffer, count, offset);
            return r < 0 ? -Downcalls.errno(state) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Reads up to {@code count} bytes at {@code offset}: the count read (0 at end of file), or {@code -errno}. */
    long pread(int fd, MemorySegment buffer, long count, long offset) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            long r = (long) pread.handle().invokeExact(state, fd, buffer, count, offset);
            return r < 0 ? -Downcalls.errno(state) : r;
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
