package org.cvmagent.image.store;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import org.cvmagent.transport.Downcall;
import org.cvmagent.transport.Downcalls;

/**
 * The few file-system calls the JDK lacks, through the FFM API: {@code mknod} (device nodes,
 * fifos, overlay whiteouts), {@code lsetxattr}/{@code lgetxattr} (any namespace, not only
 * {@code user.}) and {@code syncfs} (one flush for a whole unpacked layer).
 */
@SuppressWarnings("restricted") // libc downcalls; the agent runs with --enable-native-access
public final class NativeFs {
    private static final int AT_FDCWD = -100;
    private static final int AT_SYMLINK_NOFOLLOW = 0x100;
    private static final int O_RDONLY = 0;
    private static final int O_DIRECTORY = 0200000;
    private static final int O_CLOEXEC = 02000000;
    public static final int ENODATA = 61;
    public static final int EOPNOTSUPP = 95;

    private final StructLayout captureLayout = Linker.Option.captureStateLayout();
    private final VarHandle errno = captureLayout.varHandle(StructLayout.PathElement.groupElement("errno"));
    private final Downcall mknod;
    private final Downcall chmod;
    private final Downcall utimensat;
    private final Downcall lsetxattr;
    private final Downcall lgetxattr;
    private final Downcall open;
    private final Downcall syncfs;
    private final Downcall close;

    public NativeFs() {
        Linker linker = Linker.nativeLinker();
        Linker.Option ccs = Linker.Option.captureCallState("errno");
        var libc = linker.defaultLookup();
        mknod = Downcalls.bind(linker, libc, "mknod",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG), ccs);
        chmod = Downcalls.bind(linker, libc, "chmod",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT), ccs);
        utimensat = Downcalls.bind(linker, libc, "utimensat",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                        ValueLayout.JAVA_INT), ccs);
        lsetxattr = Downcalls.bind(linker, libc, "lsetxattr",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                        ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT), ccs);
        lgetxattr = Downcalls.bind(linker, libc, "lgetxattr",
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                        ValueLayout.JAVA_LONG), ccs);
        open = Downcalls.bind(linker, libc, "open",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
                ccs, Linker.Option.firstVariadicArg(2));
        syncfs = Downcalls.bind(linker, libc, "syncfs",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), ccs);
        close = Downcalls.bind(linker, libc, "close",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    }

    /** glibc's makedev(3). */
    public static long makedev(long major, long minor) {
        return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8) | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
    }

    /** Creates a device node or fifo; {@code mode} carries the file type bits (S_IFCHR etc.). */
    public void mknod(Path path, int mode, long dev) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(captureLayout);
            int rc = (int) mknod.handle().invokeExact(state, arena.allocateFrom(path.toString()), mode, dev);
            check(rc, state, "mknod " + path);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * chmod(2) by path. For device nodes and fifos, which the JDK's setMode would open (a fifo
     * open blocks, a device open has side effects); the caller knows the path is no symlink.
     */
    public void chmod(Path path, int mode) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(captureLayout);
            int rc = (int) chmod.handle().invokeExact(state, arena.allocateFrom(path.toString()), mode);
            check(rc, state, "chmod " + path);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Sets access and modification time of the path itself (a symlink is not followed) without
     * opening it: the JDK's setTimes opens the file, which blocks on a fifo.
     */
    public void setTimes(Path path, java.nio.file.attribute.FileTime time) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(captureLayout);
            MemorySegment times = arena.allocate(ValueLayout.JAVA_LONG, 4);
            java.time.Instant t = time.toInstant();
            for (int i = 0; i < 2; i++) {
                times.setAtIndex(ValueLayout.JAVA_LONG, 2L * i, t.getEpochSecond());
                times.setAtIndex(ValueLayout.JAVA_LONG, 2L * i + 1, t.getNano());
            }
            int rc = (int) utimensat.handle().invokeExact(state, AT_FDCWD, arena.allocateFrom(path.toString()), times,
                    AT_SYMLINK_NOFOLLOW);
            check(rc, state, "utimensat " + path);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Sets an extended attribute on the path itself (a symlink is not followed). */
    public void lsetxattr(Path path, String name, byte[] value) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(captureLayout);
            MemorySegment v = arena.allocate(Math.max(1, value.length));
            MemorySegment.copy(value, 0, v, ValueLayout.JAVA_BYTE, 0, value.length);
            int rc = (int) lsetxattr.handle().invokeExact(state, arena.allocateFrom(path.toString()), arena.allocateFrom(name), v,
                    (long) value.length, 0);
            check(rc, state, "lsetxattr " + name + " on " + path);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** An extended attribute's value, or null when the path has none of that name. */
    public byte[] lgetxattr(Path path, String name) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(captureLayout);
            int cap = 65536;
            MemorySegment buf = arena.allocate(cap);
            long n = (long) lgetxattr.handle().invokeExact(state, arena.allocateFrom(path.toString()), arena.allocateFrom(name), buf,
                    (long) cap);
            if (n < 0) {
                int err = (int) errno.get(state, 0L);
                if (err == ENODATA) {
                    return null;
                }
                throw new NativeFsException("lgetxattr " + name + " on " + path, err);
            }
            return buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Flushes the file system holding {@code dir} to stable storage. */
    public void syncfs(Path dir) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(captureLayout);
            int fd = (int) open.handle().invokeExact(state, arena.allocateFrom(dir.toString()), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
            check(fd, state, "open " + dir);
            try {
                int rc = (int) syncfs.handle().invokeExact(state, fd);
                check(rc, state, "syncfs " + dir);
            } finally {
                int rc = (int) close.handle().invokeExact(fd);
                if (rc != 0) {
                    throw new IOException("close of " + dir + " failed");
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private void check(int rc, MemorySegment state, String what) throws NativeFsException {
        if (rc < 0) {
            throw new NativeFsException(what, (int) errno.get(state, 0L));
        }
    }

    /** A failed call with its errno. */
    public static final class NativeFsException extends IOException {
        private final int errno;

        NativeFsException(String what, int errno) {
            super(what + " failed: errno " + errno);
            this.errno = errno;
        }

        public int errno() {
            return errno;
        }
    }
}
