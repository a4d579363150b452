package org.cvmagent.agent.sandbox;

import org.cvmagent.transport.Libc;
import org.cvmagent.transport.NativeFd;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * What the poller tests play a process with: pipes (pipe2) and a pty pair (posix_openpt,
 * grantpt, unlockpt, ptsname_r, open the slave), as {@link NativeFd}s or raw slave fds. No errno
 * detail: a failure here fails the test.
 */
@SuppressWarnings("restricted")
final class TestFds {

    private static final int O_RDWR = 2;
    private static final int O_NOCTTY = 0x100;
    private static final int O_NONBLOCK = 0x800;
    private static final int O_CLOEXEC = 0x80000;

    private final Libc fdLibc = Libc.load();
    private final MethodHandle pipe2;
    private final MethodHandle posixOpenpt;
    private final MethodHandle grantpt;
    private final MethodHandle unlockpt;
    private final MethodHandle ptsnameR;
    private final MethodHandle open;
    private final MethodHandle write;
    private final MethodHandle close;

    TestFds() {
        Linker linker = Linker.nativeLinker();
        SymbolLookup lookup = linker.defaultLookup();
        pipe2 = bind(linker, lookup, "pipe2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        posixOpenpt = bind(linker, lookup, "posix_openpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        grantpt = bind(linker, lookup, "grantpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        unlockpt = bind(linker, lookup, "unlockpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        ptsnameR = bind(linker, lookup, "ptsname_r", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG));
        open = linker.downcallHandle(lookup.find("open").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
        write = bind(linker, lookup, "write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
        close = bind(linker, lookup, "close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }

    private static MethodHandle bind(Linker linker, SymbolLookup lookup, String name, FunctionDescriptor descriptor) {
        return linker.downcallHandle(lookup.find(name).orElseThrow(), descriptor);
    }

    /** A pipe: the agent's read end and the process's write end, both non-blocking NativeFds. */
    record Pipe(NativeFd read, NativeFd write) {
    }

    Pipe pipe(String name) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pair = arena.allocate(JAVA_INT, 2);
            check((int) pipe2.invokeExact(pair, O_NONBLOCK | O_CLOEXEC), "pipe2");
            return new Pipe(NativeFd.adopt(fdLibc, pair.getAtIndex(JAVA_INT, 0), false, name + " (read)", () -> { }),
                    NativeFd.adopt(fdLibc, pair.getAtIndex(JAVA_INT, 1), false, name + " (write)", () -> { }));
        }
    }

    /** A pty: the master as a NativeFd (blocking until the poller makes it non-blocking) and the slave's raw fd. */
    record Pty(NativeFd master, int slave) {
    }

    Pty pty() throws Throwable {
        int master = (int) posixOpenpt.invokeExact(O_RDWR | O_NOCTTY | O_CLOEXEC);
        check(master, "posix_openpt");
        check((int) grantpt.invokeExact(master), "grantpt");
        check((int) unlockpt.invokeExact(master), "unlockpt");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocate(256);
            check((int) ptsnameR.invokeExact(master, name, 256L), "ptsname_r");
            int slave = (int) open.invokeExact(arena.allocateFrom(name.getString(0)), O_RDWR | O_NOCTTY | O_CLOEXEC, 0);
            check(slave, "open the pty slave");
            return new Pty(NativeFd.adopt(fdLibc, master, false, "pty master", () -> { }), slave);
        }
    }

    /** One blocking write of all of {@code bytes} to a raw (blocking) fd. */
    void write(int fd, byte[] bytes) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(Math.max(1, bytes.length));
            MemorySegment.copy(bytes, 0, buffer, JAVA_BYTE, 0, bytes.length);
            long n = (long) write.invokeExact(fd, buffer, (long) bytes.length);
            if (n != bytes.length) {
                throw new IOException("short write " + n);
            }
        }
    }

    void close(int fd) throws Throwable {
        check((int) close.invokeExact(fd), "close " + fd);
    }

    private static void check(int result, String what) throws IOException {
        if (result < 0) {
            throw new IOException(what + " failed");
        }
    }
}
