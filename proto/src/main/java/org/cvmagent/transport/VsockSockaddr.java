package org.cvmagent.transport;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * {@code struct sockaddr_vm} from linux/vm_sockets.h: family, reserved, port, cid, flags and three
 * zero bytes — 16 bytes in all.
 */
final class VsockSockaddr {

    static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_SHORT.withName("svm_family"),
            JAVA_SHORT.withName("svm_reserved1"),
            JAVA_INT.withName("svm_port"),
            JAVA_INT.withName("svm_cid"),
            JAVA_BYTE.withName("svm_flags"),
            MemoryLayout.sequenceLayout(3, JAVA_BYTE).withName("svm_zero"));

    private static final long PORT = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("svm_port"));
    private static final long CID = LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("svm_cid"));

    private VsockSockaddr() {
    }

    /** A zeroed sockaddr_vm for {@code cid:port}; the kernel rejects non-zero reserved bytes. */
    static MemorySegment of(Arena arena, int cid, int port) {
        MemorySegment address = arena.allocate(LAYOUT);
        address.set(JAVA_SHORT, 0, (short) Libc.AF_VSOCK);
        address.set(JAVA_INT, PORT, port);
        address.set(JAVA_INT, CID, cid);
        return address;
    }

    /** A zeroed buffer for the kernel to fill (accept4, getsockname). */
    static MemorySegment empty(Arena arena) {
        return arena.allocate(LAYOUT);
    }

    static int cid(MemorySegment address) {
        return address.get(JAVA_INT, CID);
    }

    static int port(MemorySegment address) {
        return address.get(JAVA_INT, PORT);
    }
}
