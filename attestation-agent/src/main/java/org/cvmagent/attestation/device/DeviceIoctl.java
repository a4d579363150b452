package org.cvmagent.attestation.device;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/** One ioctl(2) on a device, with its argument structure in native memory. */
public interface DeviceIoctl {
    /** Whether the device node exists (the TEE's guest driver is loaded). */
    boolean present();

    /**
     * Issues the request.
     *
     * @return 0 on success, otherwise the errno the call failed with (the argument structure may
     *     still carry the firmware's or hypervisor's error details, which only the caller can read)
     * @throws IOException if the device cannot be opened at all
     */
    int ioctl(long request, MemorySegment argument) throws IOException;

    /** _IOWR(type, nr, size) as asm-generic/ioctl.h encodes it (x86 and arm64 use the generic layout). */
    static long readWrite(char type, int nr, long size) {
        return (3L << 30) | (size << 16) | ((long) type << 8) | nr;
    }

    /** _IOW(type, nr, size). */
    static long write(char type, int nr, long size) {
        return (1L << 30) | (size << 16) | ((long) type << 8) | nr;
    }
}
