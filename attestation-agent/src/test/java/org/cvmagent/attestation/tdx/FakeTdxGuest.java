package org.cvmagent.attestation.tdx;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import java.lang.foreign.MemorySegment;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.cvmagent.attestation.device.DeviceIoctl;

/**
 * /dev/tdx_guest as the driver and TDX module behave: TDX_CMD_GET_REPORT0 fills a TDREPORT (report
 * data at 128, MRCONFIGID at 576, RTMRs from 720) and TDX_CMD_EXTEND_RTMR, where the kernel has it,
 * extends as the module does (SHA-384(RTMR || data)); RTMR0 and RTMR1 are the firmware's and refused.
 */
final class FakeTdxGuest implements DeviceIoctl {
    private final byte[][] rtmr = {new byte[48], new byte[48], new byte[48], new byte[48]};
    private final byte[] mrConfigId;
    private final boolean extendIoctl;
    private final List<Long> requests = new ArrayList<>();

    FakeTdxGuest(byte[] mrConfigId, boolean extendIoctl) {
        this.mrConfigId = Arrays.copyOf(mrConfigId, 48);
        this.extendIoctl = extendIoctl;
    }

    byte[] rtmr(int i) {
        return rtmr[i].clone();
    }

    List<Long> requests() {
        return List.copyOf(requests);
    }

    @Override
    public boolean present() {
        return true;
    }

    @Override
    public int ioctl(long request, MemorySegment argument) {
        requests.add(request);
        if (request == 0xC4405401L) {
            MemorySegment req = argument.reinterpret(64 + 1024);
            byte[] report = new byte[1024];
            report[0] = (byte) 0x81;                      // REPORTTYPE: TDX
            MemorySegment.copy(req, JAVA_BYTE, 0, report, 128, 64);
            System.arraycopy(mrConfigId, 0, report, 576, 48);
            for (int i = 0; i < 4; i++) {
                System.arraycopy(rtmr[i], 0, report, 720 + 48 * i, 48);
            }
            MemorySegment.copy(report, 0, req, JAVA_BYTE, 64, 1024);
            return 0;
        }
        if (request == 0x40315403L) {
            if (!extendIoctl) {
                return 25;                                // ENOTTY: a mainline kernel
            }
            MemorySegment req = argument.reinterpret(49);
            int index = req.get(JAVA_BYTE, 48);
            if (index < 2 || index > 3) {
                return 22;                                // EINVAL, as the driver answers for RTMR0/1
            }
            byte[] data = req.asSlice(0, 48).toArray(JAVA_BYTE);
            try {
                MessageDigest md = MessageDigest.getInstance("SHA-384");
                md.update(rtmr[index]);
                md.update(data);
                rtmr[index] = md.digest();
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            return 0;
        }
        return 25;
    }
}
