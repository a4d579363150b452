package org.cvmagent.attestation.device;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import org.cvmagent.transport.Downcall;
import org.cvmagent.transport.Downcalls;

/**
 * A device node driven with ioctl(2) through the FFM API. The node is opened for each request and
 * closed after it: requests are rare (one per evidence), and no descriptor outlives a failure.
 */
@SuppressWarnings("restricted")
public final class LinuxDeviceFile implements DeviceIoctl {
    private static final int O_RDWR = 2;
    private static final int O_CLOEXEC = 0x80000;

    private final Path node;
    private final Downcall open;
    private final Downcall ioctl;
    private final Downcall close;

    public LinuxDeviceFile(Path node) {
        this.node = node;
        Linker linker = Linker.nativeLinker();
        SymbolLookup libc = linker.defaultLookup();
        // open(2) and ioctl(2) are variadic: open's mode and ioctl's argument are the variadic part
        open = Downcalls.bind(linker, libc, "open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
                Downcalls.CAPTURE_ERRNO, Linker.Option.firstVariadicArg(2));
        ioctl = Downcalls.bind(linker, libc, "ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS),
                Downcalls.CAPTURE_ERRNO, Linker.Option.firstVariadicArg(2));
        close = Downcalls.bind(linker, libc, "close", FunctionDescriptor.of(JAVA_INT, JAVA_INT),
                Downcalls.CAPTURE_ERRNO);
    }

    @Override
    public boolean present() {
        return Files.exists(node);
    }

    @Override
    public int ioctl(long request, MemorySegment argument) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Downcalls.CALL_STATE);
            int fd = Downcalls.result((int) open.handle().invokeExact(state, Downcalls.cString(arena, node.toString()),
                    O_RDWR | O_CLOEXEC, 0), state);
            if (fd < 0) {
                throw new IOException("cannot open " + node + ": errno " + -fd);
            }
            int result;
            try {
                result = Downcalls.result((int) ioctl.handle().invokeExact(state, fd, request, argument), state);
            } finally {
                int closed = Downcalls.result((int) close.handle().invokeExact(state, fd), state);
                if (closed < 0) {
                    throw new IOException("cannot close " + node + ": errno " + -closed);
                }
            }
            return result < 0 ? -result : 0;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public String toString() {
        return node.toString();
    }
}
