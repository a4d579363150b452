package org.cvmagent.attestation.tdx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.cvmagent.attestation.aael.AaelEvent;
import org.cvmagent.attestation.aael.AaelStore;
import org.cvmagent.attestation.aael.EvidenceEventLog;
import org.cvmagent.attestation.aael.RuntimeEventLog;
import org.cvmagent.attestation.eventlog.CcEventLog;
import org.cvmagent.attestation.eventlog.TcgAlgorithm;
import org.cvmagent.attestation.tsm.KernelConfigfsTsm;
import org.cvmagent.attestation.tsm.TsmReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IoctlTdxRegistersTest {
    @TempDir
    Path dir;

    private TdxAttester attester(FakeTdxGuest device) {
        return new TdxAttester(new TsmReport(new KernelConfigfsTsm(dir.resolve("no-tsm"))), dir.resolve("no-ccel"),
                new IoctlTdxRegisters(device), org.cvmagent.attestation.aael.AaelSource.NONE);
    }

    @Test
    void requestCodesAreTheKernelHeaders() {
        assertEquals(0xC4405401L, IoctlTdxRegisters.TDX_CMD_GET_REPORT0, "_IOWR('T', 1, 1088 bytes)");
        assertEquals(0x40315403L, IoctlTdxRegisters.TDX_CMD_EXTEND_RTMR, "_IOW('T', 3, 49 bytes)");
    }

    @Test
    void runtimeMeasurementsThroughTheDeviceReplay() throws Exception {
        FakeTdxGuest device = new FakeTdxGuest(new byte[0], true);
        TdxAttester tdx = attester(device);
        AaelStore store = AaelStore.open(dir.resolve("aa/eventlog"));
        RuntimeEventLog log = RuntimeEventLog.open(tdx, store, dir.resolve("aa/.wal"), 17);
        log.extend(new AaelEvent("github.com/confidential-containers", "PullImage", "{\"image\":\"x\"}"), 17);
        log.extend(new AaelEvent("d", "o", "c"), 10);
        assertFalse(Arrays.equals(new byte[48], device.rtmr(3)));
        CcEventLog parsed = CcEventLog.parse(EvidenceEventLog.assemble(Optional.empty(), store.entries()).orElseThrow());
        assertArrayEquals(device.rtmr(3), parsed.replay(4, TcgAlgorithm.SHA384));
        assertArrayEquals(device.rtmr(2), parsed.replay(3, TcgAlgorithm.SHA384));
        assertArrayEquals(device.rtmr(3), tdx.runtimeMeasurement(17), "read back from a TDREPORT");
        assertTrue(device.requests().contains(0x40315403L));
    }

    @Test
    void mrConfigIdFromTheTdReport() throws Exception {
        byte[] digest = new byte[48];
        Arrays.fill(digest, (byte) 0x42);
        TdxAttester tdx = attester(new FakeTdxGuest(digest, false));
        assertTrue(tdx.initDataMatches(digest));
        digest[47] = 0;
        assertFalse(tdx.initDataMatches(digest));
    }

    @Test
    void aMainlineKernelCannotExtendAndSaysSo() {
        FakeTdxGuest device = new FakeTdxGuest(new byte[0], false);
        IOException e = assertThrows(IOException.class, () -> attester(device).extendRuntimeMeasurement(new byte[48], 17));
        assertTrue(e.getMessage().contains("no TDX_CMD_EXTEND_RTMR"), e.getMessage());
        assertTrue(Arrays.equals(new byte[48], device.rtmr(3)));
        IOException firmware = assertThrows(IOException.class,
                () -> attester(new FakeTdxGuest(new byte[0], true)).extendRuntimeMeasurement(new byte[48], 1));
        assertTrue(firmware.getMessage().contains("errno 22"), firmware.getMessage());
        assertEquals(List.of(0x40315403L), device.requests());
    }

    @Test
    void aReportForOtherDataIsRefused() {
        IoctlTdxRegisters registers = new IoctlTdxRegisters(new FakeTdxGuest(new byte[0], true));
        assertThrows(IllegalArgumentException.class, () -> registers.tdReport(new byte[63]));
        IoctlTdxRegisters lying = new IoctlTdxRegisters(new DeviceIoctlThatIgnoresReportData());
        assertTrue(assertThrows(IOException.class, () -> lying.tdReport(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37,
                38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63,
                64})).getMessage().contains("other report data"));
    }

    /** A device whose TDREPORT does not carry the caller's report data. */
    private static final class DeviceIoctlThatIgnoresReportData implements org.cvmagent.attestation.device.DeviceIoctl {
        @Override
        public boolean present() {
            return true;
        }

        @Override
        public int ioctl(long request, java.lang.foreign.MemorySegment argument) {
            return 0;
        }
    }
}
