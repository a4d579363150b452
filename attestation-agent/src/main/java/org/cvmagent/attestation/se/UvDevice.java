package org.cvmagent.attestation.se;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.cvmagent.attestation.device.DeviceIoctl;

/**
 * The ultravisor's Attest call through /dev/uv (arch/s390/include/uapi/asm/uvdevice.h),
 * {@code UVIO_IOCTL_ATT = _IOWR('u', 1, struct uvio_ioctl_cb)}:
 *
 * <pre>
 * struct uvio_ioctl_cb { u32 flags; u16 uv_rc; u16 uv_rrc; u64 argument_addr; u32 argument_len; u8 reserved[0x2c]; }  0x40
 * struct uvio_attest { u64 arcb_addr; u64 meas_addr; u64 add_data_addr; u8 user_data[0x100]; u8 config_uid[0x10];
 *                      u32 arcb_len; u32 meas_len; u32 add_data_len; u16 user_data_len; u16 reserved; }  0x138
 * </pre>
 *
 * Fields are in the machine's byte order (big-endian on s390x). The ioctl succeeding is not
 * enough: the ultravisor's return code must be 0x0001 (executed).
 */
public final class UvDevice {
    static final long UVIO_IOCTL_ATT = DeviceIoctl.readWrite('u', 0x01, 0x40);
    static final int CB_SIZE = 0x40;
    static final int ATTEST_SIZE = 0x138;
    static final int UV_RC_EXECUTED = 0x0001;
    /** The kernel's upper bounds (UVIO_ATT_*_MAX_LEN, UVIO_ATT_USER_DATA_LEN). */
    static final int ARCB_MAX = 0x100000;
    static final int MEASUREMENT_MAX = 0x8000;
    static final int ADDITIONAL_MAX = 0x8000;
    static final int USER_DATA_MAX = 0x100;

    private final DeviceIoctl device;

    public UvDevice(DeviceIoctl device) {
        this.device = device;
    }

    public boolean present() {
        return device.present();
    }

    public UvAttestation attest(byte[] arcb, byte[] userData, int measurementSize, int additionalSize)
            throws IOException {
        if (arcb.length == 0 || arcb.length > ARCB_MAX) {
            throw new IOException("SE attestation request is " + arcb.length + " bytes (1 to " + ARCB_MAX + ")");
        }
        if (measurementSize <= 0 || measurementSize > MEASUREMENT_MAX || additionalSize < 0
                || additionalSize > ADDITIONAL_MAX || userData.length > USER_DATA_MAX) {
            throw new IOException("SE attestation sizes out of the kernel's bounds: measurement " + measurementSize
                    + ", additional data " + additionalSize + ", user data " + userData.length);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment arcbBuffer = arena.allocate(arcb.length, 8);
            MemorySegment.copy(arcb, 0, arcbBuffer, JAVA_BYTE, 0, arcb.length);
            MemorySegment measurement = arena.allocate(measurementSize, 8);
            MemorySegment additional = additionalSize == 0 ? MemorySegment.NULL : arena.allocate(additionalSize, 8);
            MemorySegment attest = arena.allocate(ATTEST_SIZE, 8);
            attest.set(JAVA_LONG_UNALIGNED, 0x00, arcbBuffer.address());
            attest.set(JAVA_LONG_UNALIGNED, 0x08, measurement.address());
            attest.set(JAVA_LONG_UNALIGNED, 0x10, additional.address());
            MemorySegment.copy(userData, 0, attest, JAVA_BYTE, 0x18, userData.length);
            attest.set(JAVA_INT_UNALIGNED, 0x128, arcb.length);
            attest.set(JAVA_INT_UNALIGNED, 0x12c, measurementSize);
            attest.set(JAVA_INT_UNALIGNED, 0x130, additionalSize);
            attest.set(JAVA_SHORT_UNALIGNED, 0x134, (short) userData.length);
            MemorySegment cb = arena.allocate(CB_SIZE, 8);
            cb.set(JAVA_LONG_UNALIGNED, 0x08, attest.address());
            cb.set(JAVA_INT_UNALIGNED, 0x10, ATTEST_SIZE);

            int errno = device.ioctl(UVIO_IOCTL_ATT, cb);
            int rc = Short.toUnsignedInt(cb.get(JAVA_SHORT_UNALIGNED, 0x04));
            int rrc = Short.toUnsignedInt(cb.get(JAVA_SHORT_UNALIGNED, 0x06));
            if (errno != 0 || rc != UV_RC_EXECUTED) {
                throw new IOException("UVIO_IOCTL_ATT on " + device + " failed: errno " + errno + ", ultravisor rc 0x"
                        + Integer.toHexString(rc) + " rrc 0x" + Integer.toHexString(rrc));
            }
            return new UvAttestation(measurement.toArray(JAVA_BYTE),
                    additionalSize == 0 ? new byte[0] : additional.toArray(JAVA_BYTE),
                    attest.asSlice(0x118, 0x10).toArray(JAVA_BYTE));
        }
    }
}
