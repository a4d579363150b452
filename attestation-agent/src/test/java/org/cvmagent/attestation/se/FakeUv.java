package org.cvmagent.attestation.se;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.cvmagent.attestation.device.DeviceIoctl;

/**
 * /dev/uv as the uvdevice driver and ultravisor answer UVIO_IOCTL_ATT: it follows the control
 * block to the uvio_attest and its buffers, keeps what it was asked, and answers with an HMAC-SHA512
 * over the user data under a fixed key (standing in for the measurement key in the request), fixed
 * additional data and configuration UID, and the return code it is told to give.
 */
@SuppressWarnings("restricted")
final class FakeUv implements DeviceIoctl {
    static final byte[] CUID = "config-uid-16byt".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    static final byte[] KEY = new byte[64];

    long request;
    int argumentLength;
    byte[] arcb;
    byte[] userData;
    int userDataLength;
    int measurementLength;
    int additionalLength;
    short rc = 0x0001;

    @Override
    public boolean present() {
        return true;
    }

    @Override
    public int ioctl(long request, MemorySegment argument) {
        this.request = request;
        MemorySegment cb = argument.reinterpret(0x40);
        argumentLength = cb.get(JAVA_INT_UNALIGNED, 0x10);
        MemorySegment attest = MemorySegment.ofAddress(cb.get(JAVA_LONG_UNALIGNED, 0x08)).reinterpret(0x138);
        int arcbLength = attest.get(JAVA_INT_UNALIGNED, 0x128);
        measurementLength = attest.get(JAVA_INT_UNALIGNED, 0x12c);
        additionalLength = attest.get(JAVA_INT_UNALIGNED, 0x130);
        userDataLength = attest.get(JAVA_SHORT_UNALIGNED, 0x134);
        arcb = MemorySegment.ofAddress(attest.get(JAVA_LONG_UNALIGNED, 0)).reinterpret(arcbLength).toArray(JAVA_BYTE);
        userData = attest.asSlice(0x18, userDataLength).toArray(JAVA_BYTE);
        cb.set(JAVA_SHORT_UNALIGNED, 0x04, rc);
        if (rc != 0x0001) {
            return 0;
        }
        MemorySegment measurement = MemorySegment.ofAddress(attest.get(JAVA_LONG_UNALIGNED, 0x08))
                .reinterpret(measurementLength);
        MemorySegment.copy(hmac(userData), 0, measurement, JAVA_BYTE, 0, Math.min(64, measurementLength));
        MemorySegment additional = MemorySegment.ofAddress(attest.get(JAVA_LONG_UNALIGNED, 0x10))
                .reinterpret(additionalLength);
        additional.fill((byte) 0x5a);
        MemorySegment.copy(CUID, 0, attest, JAVA_BYTE, 0x118, 16);
        return 0;
    }

    static byte[] hmac(byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA512");
            mac.init(new SecretKeySpec(KEY, "HmacSHA512"));
            return mac.doFinal(data);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] fill(int length, int value) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) value);
        return b;
    }
}
