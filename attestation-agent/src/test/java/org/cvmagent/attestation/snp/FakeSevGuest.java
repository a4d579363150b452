package org.cvmagent.attestation.snp;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.cvmagent.attestation.device.DeviceIoctl;

/**
 * /dev/sev-guest as the kernel behaves for SNP_GET_EXT_REPORT, answering with a recorded report
 * and certificate table: it follows the request's pointers as the driver does, refuses a missing
 * or short certificate buffer with EINVAL and hypervisor error INVALID_LEN (writing back the needed
 * length), and fills the MSG_REPORT_RSP. What it was asked is kept for assertions.
 */
@SuppressWarnings("restricted")
final class FakeSevGuest implements DeviceIoctl {
    static final int EINVAL = 22;

    record Call(long request, int messageVersion, byte[] userData, int vmpl, long certsAddress, int certsLen) {
    }

    private final byte[] report;
    private final Optional<byte[]> certTable;
    private final List<Call> calls = new ArrayList<>();
    private int firmwareStatus;
    private int forcedErrno;
    private int demandedCertsLen = -1;

    FakeSevGuest(byte[] report, Optional<byte[]> certTable) {
        this.report = report.clone();
        this.certTable = certTable;
    }

    void firmwareStatus(int status) {
        firmwareStatus = status;
    }

    void failWith(int errno) {
        forcedErrno = errno;
    }

    void demandCertsLen(int length) {
        demandedCertsLen = length;
    }

    List<Call> calls() {
        return List.copyOf(calls);
    }

    @Override
    public boolean present() {
        return true;
    }

    @Override
    public int ioctl(long request, MemorySegment argument) {
        MemorySegment guest = argument.reinterpret(32);
        MemorySegment req = MemorySegment.ofAddress(guest.get(JAVA_LONG_UNALIGNED, 8)).reinterpret(112);
        MemorySegment resp = MemorySegment.ofAddress(guest.get(JAVA_LONG_UNALIGNED, 16)).reinterpret(4000);
        long certsAddress = req.get(JAVA_LONG_UNALIGNED, 96);
        int certsLen = req.get(JAVA_INT_UNALIGNED, 104);
        calls.add(new Call(request, guest.get(JAVA_BYTE, 0), req.asSlice(0, 64).toArray(JAVA_BYTE),
                req.get(JAVA_INT_UNALIGNED, 64), certsAddress, certsLen));
        if (request != SevGuestReportSource.SNP_GET_EXT_REPORT) {
            return EINVAL;
        }
        if (forcedErrno != 0) {
            guest.set(JAVA_LONG_UNALIGNED, 24, 0x16L);
            return forcedErrno;
        }
        if (certTable.isPresent()) {
            int needed = demandedCertsLen >= 0 ? demandedCertsLen
                    : (certTable.get().length + 4095) / 4096 * 4096;
            if (certsLen < needed || certsAddress == 0) {
                req.set(JAVA_INT_UNALIGNED, 104, needed);
                guest.set(JAVA_LONG_UNALIGNED, 24, (long) SevGuestReportSource.VMM_ERR_INVALID_LEN << 32);
                return EINVAL;
            }
            MemorySegment certs = MemorySegment.ofAddress(certsAddress).reinterpret(certsLen);
            certs.fill((byte) 0);
            MemorySegment.copy(certTable.get(), 0, certs, JAVA_BYTE, 0, certTable.get().length);
        }
        resp.fill((byte) 0);
        resp.set(JAVA_INT_UNALIGNED, 0, firmwareStatus);
        if (firmwareStatus == 0) {
            resp.set(JAVA_INT_UNALIGNED, 4, report.length);
            MemorySegment.copy(report, 0, resp, JAVA_BYTE, 32, report.length);
        }
        return 0;
    }

    /** The certificate table format: entries {guid, offset, length}, an all-zero entry, then the data. */
    static byte[] certTable(List<java.util.UUID> guids, List<byte[]> certificates) {
        int header = (guids.size() + 1) * 24;
        int total = header + certificates.stream().mapToInt(c -> c.length).sum();
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(total);
        int offset = header;
        for (int i = 0; i < guids.size(); i++) {
            b.order(java.nio.ByteOrder.BIG_ENDIAN).putLong(guids.get(i).getMostSignificantBits())
                    .putLong(guids.get(i).getLeastSignificantBits());
            b.order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(offset).putInt(certificates.get(i).length);
            offset += certificates.get(i).length;
        }
        b.position(header);
        certificates.forEach(b::put);
        return Arrays.copyOf(b.array(), total);
    }
}
