package org.cvmagent.transport;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Connected AF_UNIX socket pairs wrapped as {@link NativeConnection}s, to exercise the native
 * connection code with real traffic on a machine without vsock loopback.
 */
@SuppressWarnings("restricted") // binds socketpair(2), which only the tests need
final class SocketPairs {

    private final Libc libc;
    private final MethodHandle socketpair;

    SocketPairs(Libc libc) {
        this.libc = libc;
        Linker linker = Linker.nativeLinker();
        this.socketpair = linker.downcallHandle(linker.defaultLookup().find("socketpair").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    }

    Connection[] open() throws Throwable {
        int a;
        int b;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            int result = (int) socketpair.invokeExact(Libc.AF_UNIX,
                    Libc.SOCK_STREAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0, fds);
            if (result != 0) {
                throw new IOException("socketpair failed");
            }
            a = fds.getAtIndex(JAVA_INT, 0);
            b = fds.getAtIndex(JAVA_INT, 1);
        }
        return new Connection[] {
            new NativeConnection(NativeFd.adopt(libc, a, true, "pair:a", () -> { })),
            new NativeConnection(NativeFd.adopt(libc, b, true, "pair:b", () -> { })),
        };
    }
}
