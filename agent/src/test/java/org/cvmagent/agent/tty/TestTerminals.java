package org.cvmagent.agent.tty;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * What the tests play runc with: a pty pair (posix_openpt, grantpt, unlockpt, ptsname_r, open the
 * slave) and a unix client that sends fds with SCM_RIGHTS, as runc's utils.SendFd does. Blocking
 * fds and no errno detail: a failure here fails the test.
 */
@SuppressWarnings("restricted")
final class TestTerminals {

    static final int O_RDWR = 2;
    static final int O_NOCTTY = 0x100;
    static final int O_CLOEXEC = 0x80000;

    private final MethodHandle posixOpenpt;
    private final MethodHandle grantpt;
    private final MethodHandle unlockpt;
    private final MethodHandle ptsnameR;
    private final MethodHandle open;
    private final MethodHandle socket;
    private final MethodHandle connect;
    private final MethodHandle sendmsg;
    private final MethodHandle read;
    private final MethodHandle write;
    private final MethodHandle ioctl;
    private final MethodHandle close;
    private final MethodHandle fcntl;

    TestTerminals() {
        Linker linker = Linker.nativeLinker();
        SymbolLookup lookup = linker.defaultLookup();
        posixOpenpt = bind(linker, lookup, "posix_openpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        grantpt = bind(linker, lookup, "grantpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        unlockpt = bind(linker, lookup, "unlockpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        ptsnameR = bind(linker, lookup, "ptsname_r", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG));
        open = linker.downcallHandle(lookup.find("open").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
        socket = bind(linker, lookup, "socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
        connect = bind(linker, lookup, "connect", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
        sendmsg = bind(linker, lookup, "sendmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
        read = bind(linker, lookup, "read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
        write = bind(linker, lookup, "write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
        ioctl = linker.downcallHandle(lookup.find("ioctl").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), Linker.Option.firstVariadicArg(2));
        close = bind(linker, lookup, "close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        fcntl = linker.downcallHandle(lookup.find("fcntl").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    }

    private static MethodHandle bind(Linker linker, SymbolLookup lookup, String name, FunctionDescriptor descriptor) {
        return linker.downcallHandle(lookup.find(name).orElseThrow(), descriptor);
    }

    /** A pty pair: {master, slave} fds and the slave's path. */
    record Pair(int master, int slave, String slavePath) {
    }

    Pair openPty() throws Throwable {
        int master = (int) posixOpenpt.invokeExact(O_RDWR | O_NOCTTY | O_CLOEXEC);
        check(master, "posix_openpt");
        check((int) grantpt.invokeExact(master), "grantpt");
        check((int) unlockpt.invokeExact(master), "unlockpt");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocate(256);
            check((int) ptsnameR.invokeExact(master, name, 256L), "ptsname_r");
            String path = name.getString(0);
            int slave = (int) open.invokeExact(arena.allocateFrom(path), O_RDWR | O_NOCTTY | O_CLOEXEC, 0);
            check(slave, "open " + path);
            return new Pair(master, slave, path);
        }
    }

    /** Connects to a unix socket and returns the connected fd. */
    int connect(Path path) throws Throwable {
        int fd = (int) socket.invokeExact(1, 1 | O_CLOEXEC, 0);
        check(fd, "socket");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = arena.allocate(110, 2);
            address.set(JAVA_SHORT, 0, (short) 1);
            byte[] bytes = path.toString().getBytes(StandardCharsets.UTF_8);
            MemorySegment.copy(bytes, 0, address, JAVA_BYTE, 2, bytes.length);
            check((int) connect.invokeExact(fd, address, 110), "connect " + path);
        }
        return fd;
    }

    /** One sendmsg of {@code payload} with {@code fds} as SCM_RIGHTS (none: no ancillary data). */
    void send(int socketFd, String payload, int... fds) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            byte[] bytes = payload.getBytes(StandardCharsets.UTF_8);
            MemorySegment data = arena.allocate(Math.max(1, bytes.length));
            MemorySegment.copy(bytes, 0, data, JAVA_BYTE, 0, bytes.length);
            MemorySegment iov = arena.allocate(16, 8);
            iov.set(ADDRESS, 0, data);
            iov.set(JAVA_LONG, 8, bytes.length);
            MemorySegment message = arena.allocate(56, 8);
            message.set(ADDRESS, 16, iov);
            message.set(JAVA_LONG, 24, 1L);
            if (fds.length > 0) {
                long length = 16 + 4L * fds.length;
                MemorySegment control = arena.allocate((length + 7) & ~7L, 8);
                control.set(JAVA_LONG, 0, length);
                control.set(JAVA_INT, 8, 1);
                control.set(JAVA_INT, 12, 1);
                for (int i = 0; i < fds.length; i++) {
                    control.set(JAVA_INT, 16 + 4L * i, fds[i]);
                }
                message.set(ADDRESS, 32, control);
                message.set(JAVA_LONG, 40, control.byteSize());
            }
            long n = (long) sendmsg.invokeExact(socketFd, message, 0x4000);
            if (n < 0) {
                throw new IOException("sendmsg failed");
            }
        }
    }

    void write(int fd, String text) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            MemorySegment buffer = arena.allocate(bytes.length);
            MemorySegment.copy(bytes, 0, buffer, JAVA_BYTE, 0, bytes.length);
            long n = (long) write.invokeExact(fd, buffer, (long) bytes.length);
            if (n != bytes.length) {
                throw new IOException("short write " + n);
            }
        }
    }

    /** One blocking read of up to 4 KiB. */
    String read(int fd) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(4096);
            long n = (long) read.invokeExact(fd, buffer, 4096L);
            if (n < 0) {
                throw new IOException("read failed");
            }
            return new String(buffer.asSlice(0, n).toArray(JAVA_BYTE), StandardCharsets.UTF_8);
        }
    }

    /** TIOCGWINSZ on any terminal fd (generic ioctl numbers: the tests run on x86_64/aarch64). */
    WindowSize size(int fd) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment winsize = arena.allocate(8, 2);
            check((int) ioctl.invokeExact(fd, 0x5413L, winsize), "TIOCGWINSZ");
            return new WindowSize(Short.toUnsignedInt(winsize.get(JAVA_SHORT, 0)),
                    Short.toUnsignedInt(winsize.get(JAVA_SHORT, 2)));
        }
    }

    /** Whether {@code fd} is open in this process. */
    boolean isOpen(int fd) throws Throwable {
        return (int) fcntl.invokeExact(fd, 1, 0) >= 0;
    }

    void close(int fd) throws Throwable {
        int r = (int) close.invokeExact(fd);
        check(r, "close " + fd);
    }

    private static void check(int result, String what) throws IOException {
        if (result < 0) {
            throw new IOException(what + " failed");
        }
    }
}
