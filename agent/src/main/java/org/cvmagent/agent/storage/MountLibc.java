package org.cvmagent.agent.storage;

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
import java.lang.foreign.SymbolLookup;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The Linux calls storage handling needs beyond {@code agent.fs}: umount2(2), the
 * detached-mount calls (open_tree, fsopen, fsconfig, fsmount, mount_setattr, move_mount) and a few
 * descriptor-relative file calls, bound through the FFM API.
 *
 * <p>As in the other binding classes, every call returns its C result when non-negative and
 * {@code -errno} when it failed. The detached-mount calls are reached through {@code syscall(2)}
 * so the binding does not depend on a C library new enough to wrap them; their numbers are the
 * same on every architecture the agent supports (they were added after the tables were unified).
 */
// Binding native functions is restricted by design; confining it to this class is the point of it.
@SuppressWarnings("restricted")
final class MountLibc {

    static final long SYS_OPENAT2 = 437;
    static final long SYS_OPEN_TREE = 428;
    static final long SYS_MOVE_MOUNT = 429;
    static final long SYS_MOUNT_SETATTR = 442;
    static final long SYS_FSOPEN = 430;
    static final long SYS_FSCONFIG = 431;
    static final long SYS_FSMOUNT = 432;

    static final int FSOPEN_CLOEXEC = 0x1;
    static final int FSCONFIG_SET_FLAG = 0;
    static final int FSCONFIG_SET_STRING = 1;
    static final int FSCONFIG_CMD_CREATE = 6;
    static final int FSMOUNT_CLOEXEC = 0x1;
    static final long MOUNT_ATTR_RDONLY = 0x1;
    static final long MOUNT_ATTR_NOSUID = 0x2;
    static final long MOUNT_ATTR_NODEV = 0x4;
    static final long MOUNT_ATTR_NOEXEC = 0x8;
    static final long MOUNT_ATTR_ATIME_MASK = 0x70;
    static final long MOUNT_ATTR_RELATIME = 0x0;
    static final long MOUNT_ATTR_NOATIME = 0x10;
    static final long MOUNT_ATTR_STRICTATIME = 0x20;
    static final long MOUNT_ATTR_NODIRATIME = 0x80;
    static final int OPEN_TREE_CLONE = 1;
    static final int OPEN_TREE_CLOEXEC = 02000000;
    static final int AT_EMPTY_PATH = 0x1000;
    static final int AT_RECURSIVE = 0x8000;
    static final int MOVE_MOUNT_F_EMPTY_PATH = 0x4;
    static final int MOVE_MOUNT_T_EMPTY_PATH = 0x40;

    static final int O_CLOEXEC = 02000000;
    static final int O_PATH = 010000000;
    static final int O_WRONLY = 01;
    static final int O_CREAT = 0100;
    static final int O_EXCL = 0200;
    static final long RESOLVE_NO_MAGICLINKS = 0x02;
    static final long RESOLVE_BENEATH = 0x08;
    static final long RESOLVE_NO_SYMLINKS = 0x04;

    static final int AT_FDCWD = -100;
    static final int AT_REMOVEDIR = 0x200;

    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EINVAL = 22;
    static final int ENOTDIR = 20;
    static final int EROFS = 30;
    static final int ENOTEMPTY = 39;
    static final int ELOOP = 40;
    static final int EBUSY = 16;
    static final int EEXIST = 17;

    private final Downcall mount;
    private final Downcall umount2;
    private final Downcall unlinkat;
    private final Downcall mkdirat;
    private final Downcall symlinkat;
    private final Downcall chmod;
    private final Downcall chown;
    private final Downcall close;
    private final Downcall syscall5;
    private final ErrnoText errors;

    private MountLibc(Linker linker, SymbolLookup lookup) {
        Linker.Option errno = Downcalls.CAPTURE_ERRNO;
        mount = bind(linker, lookup, "mount",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS), errno);
        umount2 = bind(linker, lookup, "umount2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), errno);
        unlinkat = bind(linker, lookup, "unlinkat",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), errno);
        mkdirat = bind(linker, lookup, "mkdirat", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), errno);
        symlinkat = bind(linker, lookup, "symlinkat",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS), errno);
        chmod = bind(linker, lookup, "chmod", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), errno);
        chown = bind(linker, lookup, "chown", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), errno);
        close = bind(linker, lookup, "close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), errno);
        // syscall(2) is variadic after the number; glibc reads every argument with va_arg(ap, long).
        syscall5 = bind(linker, lookup, "syscall",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
                errno, Linker.Option.firstVariadicArg(1));
        errors = new ErrnoText(linker, lookup);
    }

    /** Binds the calls in the C library the JVM runs on. */
    static MountLibc load() {
        Linker linker = Linker.nativeLinker();
        return new MountLibc(linker, linker.defaultLookup());
    }

    /** mount(source, target, fstype, flags, data); {@code null} strings are passed as NULL. */
    int mount(String source, String target, String fstype, long flags, String data) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Downcalls.CALL_STATE);
            return result((int) mount.handle().invokeExact(state, Downcalls.cString(arena, source), Downcalls.cString(arena, target),
                    Downcalls.cString(arena, fstype), flags, Downcalls.cString(arena, data)), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int umount2(String target, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Downcalls.CALL_STATE);
            return result((int) umount2.handle().invokeExact(state, Downcalls.cString(arena, target), flags), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int unlinkat(int dirfd, String name, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Downcalls.CALL_STATE);
            return result((int) unlinkat.handle().invokeExact(state, dirfd, Downcalls.cString(arena, name), flags), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int mkdirat(int dirfd, String name, int mode) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Downcalls.CALL_STATE);
            return result((int) mkdirat.handle().invokeExact(state, dirfd, Downcalls.cString(arena, name), mode), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int symlinkat(String target, int dirfd, String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Downcalls.CALL_STATE);
            return result((int) symlinkat.handle().invokeExact(state, Downcalls.cString(arena, target), dirfd, Downcalls.cString(arena, name)),
                    state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** chmod(2); used on {@code /proc/self/fd/N} so that the mode lands on the pinned inode. */
    int chmod(String path, int mode) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Downcalls.CALL_STATE);
            return result((int) chmod.handle().invokeExact(state, Downcalls.cString(arena, path), mode), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** chown(2); {@code -1} leaves an id unchanged. */
    int chown(String path, int uid, int gid) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Downcalls.CALL_STATE);
            return result((int) chown.handle().invokeExact(state, Downcalls.cString(arena, path), uid, gid), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int close(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Downcalls.CALL_STATE);
            return result((int) close.handle().invokeExact(state, fd), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** openat2(dirfd, path, {flags, 0, resolve}): a new descriptor or {@code -errno}. */
    int openat2(int dirfd, String path, int flags, long resolve) {
        return openat2(dirfd, path, flags, 0, resolve);
    }

    /** openat2(dirfd, path, {flags, mode, resolve}): a new descriptor or {@code -errno}. */
    int openat2(int dirfd, String path, int flags, int mode, long resolve) {
        try (Arena arena = Arena.ofConfined()) {
            // struct open_how {u64 flags; u64 mode; u64 resolve;}
            MemorySegment how = arena.allocate(24, 8);
            how.set(JAVA_LONG, 0, Integer.toUnsignedLong(flags));
            how.set(JAVA_LONG, 8, Integer.toUnsignedLong(mode));
            how.set(JAVA_LONG, 16, resolve);
            return (int) syscall(arena, SYS_OPENAT2, dirfd, Downcalls.cString(arena, path).address(), how.address(),
                    how.byteSize(), 0);
        }
    }

    /** fsopen(fstype, FSOPEN_CLOEXEC): a filesystem context descriptor or {@code -errno}. */
    int fsopen(String fstype) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) syscall(arena, SYS_FSOPEN, Downcalls.cString(arena, fstype).address(), FSOPEN_CLOEXEC, 0, 0, 0);
        }
    }

    /** fsconfig(fd, FSCONFIG_SET_STRING, key, value, 0). */
    int fsconfigString(int fsfd, String key, String value) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) syscall(arena, SYS_FSCONFIG, fsfd, FSCONFIG_SET_STRING, Downcalls.cString(arena, key).address(),
                    Downcalls.cString(arena, value).address(), 0);
        }
    }

    /** fsconfig(fd, FSCONFIG_SET_FLAG, key, NULL, 0). */
    int fsconfigFlag(int fsfd, String key) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) syscall(arena, SYS_FSCONFIG, fsfd, FSCONFIG_SET_FLAG, Downcalls.cString(arena, key).address(), 0, 0);
        }
    }

    /** open_tree(AT_FDCWD, path, flags): with OPEN_TREE_CLONE, a detached copy of the mount at path. */
    int openTree(String path, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) syscall(arena, SYS_OPEN_TREE, AT_FDCWD, Downcalls.cString(arena, path).address(), flags, 0, 0);
        }
    }

    /**
     * mount_setattr(fd, "", AT_EMPTY_PATH | extraFlags, {set, clear, propagation, 0}) on the mount
     * {@code fd} is the root of.
     */
    int mountSetattr(int fd, int extraFlags, long set, long clear, long propagation) {
        try (Arena arena = Arena.ofConfined()) {
            // struct mount_attr {u64 attr_set; u64 attr_clr; u64 propagation; u64 userns_fd;}
            MemorySegment attr = arena.allocate(32, 8);
            attr.set(JAVA_LONG, 0, set);
            attr.set(JAVA_LONG, 8, clear);
            attr.set(JAVA_LONG, 16, propagation);
            attr.set(JAVA_LONG, 24, 0L);
            return (int) syscall(arena, SYS_MOUNT_SETATTR, fd, Downcalls.cString(arena, "").address(),
                    AT_EMPTY_PATH | extraFlags, attr.address(), attr.byteSize());
        }
    }

    /** fsconfig(fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0). */
    int fsconfigCreate(int fsfd) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) syscall(arena, SYS_FSCONFIG, fsfd, FSCONFIG_CMD_CREATE, 0, 0, 0);
        }
    }

    /** fsmount(fsfd, FSMOUNT_CLOEXEC, attributes): a descriptor of a detached mount's root. */
    int fsmount(int fsfd, long attributes) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) syscall(arena, SYS_FSMOUNT, fsfd, FSMOUNT_CLOEXEC, attributes, 0, 0);
        }
    }

    /** move_mount(fromFd, "", toFd, "", F_EMPTY_PATH | T_EMPTY_PATH): attaches a detached mount. */
    int moveMount(int fromFd, int toFd) {
        try (Arena arena = Arena.ofConfined()) {
            long empty = Downcalls.cString(arena, "").address();
            return (int) syscall(arena, SYS_MOVE_MOUNT, fromFd, empty, toFd, empty,
                    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
        }
    }

    /** syscall(number, a1..a5): pointers are passed as their addresses, each argument a full register. */
    private long syscall(Arena arena, long number, long a1, long a2, long a3, long a4, long a5) {
        try {
            MemorySegment state = arena.allocate(Downcalls.CALL_STATE);
            long r = (long) syscall5.handle().invokeExact(state, number, a1, a2, a3, a4, a5);
            return r < 0 ? -Downcalls.errno(state) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }


    /** An IOException for a call that failed with {@code -errno}: {@code "<what>: <strerror> (errno N)"}. */
    IOException failure(String what, int negativeErrno) {
        return errors.failure(what, negativeErrno);
    }
}
