package org.cvmagent.attestation.tdx;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.cvmagent.attestation.device.DeviceIoctl;

/**
 * The TD's registers through {@code /dev/tdx_guest} (include/uapi/linux/tdx-guest.h), for kernels
 * without the sysfs measurements: reads come from a TDREPORT ({@code TDX_CMD_GET_REPORT0},
 * {@code _IOWR('T', 1, struct tdx_report_req { u8 reportdata[64]; u8 tdreport[1024]; })}), whose
 * TDINFO holds MRCONFIGID at 576 and RTMR0-3 from 720. Extending uses
 * {@code TDX_CMD_EXTEND_RTMR} ({@code _IOW('T', 3, struct tdx_extend_rtmr_req { u8 data[48]; u8 index; })}),
 * which only Intel's and some distributions' TDX kernels carry (mainline never merged it and went
 * to sysfs instead): elsewhere the call fails with ENOTTY and the extend is reported as impossible.
 */
public final class IoctlTdxRegisters implements TdxRegisters {
    static final long TDX_CMD_GET_REPORT0 = DeviceIoctl.readWrite('T', 1, 64 + 1024);
    static final long TDX_CMD_EXTEND_RTMR = DeviceIoctl.write('T', 3, REGISTER_SIZE + 1);
    static final int TDREPORT_SIZE = 1024;
    private static final int ENOTTY = 25;
    private static final int MRCONFIGID_OFFSET = 512 + 64;
    private static final int RTMR_OFFSET = 512 + 208;

    private final DeviceIoctl device;

    public IoctlTdxRegisters(DeviceIoctl device) {
        this.device = device;
    }

    public boolean available() {
        return device.present();
    }

    /** A TDREPORT for 64 bytes of report data (not a quote: only the TDX module of this host can check its MAC). */
    public byte[] tdReport(byte[] reportData) throws IOException {
        if (reportData.length != 64) {
            throw new IllegalArgumentException("TDX report data must be 64 bytes, got " + reportData.length);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment request = arena.allocate(64 + TDREPORT_SIZE, 8);
            MemorySegment.copy(reportData, 0, request, JAVA_BYTE, 0, 64);
            int errno = device.ioctl(TDX_CMD_GET_REPORT0, request);
            if (errno != 0) {
                throw new IOException("TDX_CMD_GET_REPORT0 on " + device + " failed: errno " + errno);
            }
            byte[] report = request.asSlice(64, TDREPORT_SIZE).toArray(JAVA_BYTE);
            // REPORTMACSTRUCT.REPORTDATA at 128: the module must have reported our data
            if (!Arrays.equals(Arrays.copyOfRange(report, 128, 192), reportData)) {
                throw new IOException("TDX_CMD_GET_REPORT0 returned a TDREPORT for other report data");
            }
            return report;
        }
    }

    @Override
    public byte[] rtmr(int index) throws IOException {
        checkIndex(index);
        int at = RTMR_OFFSET + index * REGISTER_SIZE;
        return Arrays.copyOfRange(tdReport(new byte[64]), at, at + REGISTER_SIZE);
    }

    @Override
    public void extendRtmr(int index, byte[] data) throws IOException {
        checkIndex(index);
        if (data.length != REGISTER_SIZE) {
            throw new IllegalArgumentException("RTMR extend data must be " + REGISTER_SIZE + " bytes");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment request = arena.allocate(REGISTER_SIZE + 1, 8);
            MemorySegment.copy(data, 0, request, JAVA_BYTE, 0, REGISTER_SIZE);
            request.set(JAVA_BYTE, REGISTER_SIZE, (byte) index);
            int errno = device.ioctl(TDX_CMD_EXTEND_RTMR, request);
            if (errno == ENOTTY) {
                throw new IOException("this kernel's " + device + " has no TDX_CMD_EXTEND_RTMR and no sysfs "
                        + "measurements: RTMRs cannot be extended (Linux 6.16+ extends them through sysfs)");
            }
            if (errno != 0) {
                throw new IOException("TDX_CMD_EXTEND_RTMR (RTMR" + index + ") on " + device + " failed: errno " + errno);
            }
        }
    }

    @Override
    public byte[] mrConfigId() throws IOException {
        return Arrays.copyOfRange(tdReport(new byte[64]), MRCONFIGID_OFFSET, MRCONFIGID_OFFSET + REGISTER_SIZE);
    }

    private static void checkIndex(int index) {
        if (index < 0 || index > 3) {
            throw new IllegalArgumentException("there is no RTMR" + index);
        }
    }
}
