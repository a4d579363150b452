package org.cvmagent.attestation.snp;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Optional;
import org.cvmagent.attestation.attester.AttesterException;
import org.cvmagent.attestation.device.DeviceIoctl;

/**
 * SNP extended reports through {@code /dev/sev-guest} (include/uapi/linux/sev-guest.h),
 * {@code SNP_GET_EXT_REPORT}: first with no certificate buffer; when the host has certificates the
 * call fails with the hypervisor error INVALID_LEN and the needed length in {@code certs_len}, and
 * is repeated with a page-aligned buffer of that size — the same dance as the sev crate's
 * {@code get_ext_report} that guest-components uses.
 *
 * <pre>
 * struct snp_guest_request_ioctl { u8 msg_version; u64 req_data; u64 resp_data; u64 exitinfo2; }  32 bytes
 * struct snp_ext_report_req { u8 user_data[64]; u32 vmpl; u8 rsvd[28]; u64 certs_address; u32 certs_len; }  112
 * struct snp_report_resp { u8 data[4000]; }  = MSG_REPORT_RSP: u32 status; u32 report_size; u8 rsvd[24]; report
 * </pre>
 */
public final class SevGuestReportSource implements SnpReportSource {
    static final long SNP_GET_EXT_REPORT = DeviceIoctl.readWrite('S', 0x2, 32);
    static final int GUEST_REQUEST_SIZE = 32;
    static final int EXT_REPORT_REQ_SIZE = 112;
    static final int REPORT_RESP_SIZE = 4000;
    /** exitinfo2's upper half: the hypervisor's error; 1 means the certificate buffer was too small. */
    static final int VMM_ERR_INVALID_LEN = 1;
    private static final int PAGE = 4096;
    /** More than any host's VCEK/ASK/ARK table; a larger demand is refused rather than allocated. */
    private static final int MAX_CERTS = 1 << 20;
    private static final int REPORT_SIZE = 0x4A0;

    private final DeviceIoctl device;

    public SevGuestReportSource(DeviceIoctl device) {
        this.device = device;
    }

    @Override
    public boolean available() {
        return device.present();
    }

    @Override
    public SnpRawReport report(byte[] reportData) throws AttesterException {
        if (reportData.length != 64) {
            throw new AttesterException("SNP report data must be 64 bytes, got " + reportData.length);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment request = arena.allocate(EXT_REPORT_REQ_SIZE, 8);
            MemorySegment.copy(reportData, 0, request, JAVA_BYTE, 0, 64);
            request.set(JAVA_INT_UNALIGNED, 64, 0);                // VMPL 0, as guest-components asks
            MemorySegment response = arena.allocate(REPORT_RESP_SIZE, 8);
            MemorySegment guest = arena.allocate(GUEST_REQUEST_SIZE, 8);
            guest.set(JAVA_BYTE, 0, (byte) 1);                    // message version 1
            guest.set(JAVA_LONG_UNALIGNED, 8, request.address());
            guest.set(JAVA_LONG_UNALIGNED, 16, response.address());

            Optional<MemorySegment> certs = Optional.empty();
            int errno = device.ioctl(SNP_GET_EXT_REPORT, guest);
            if (errno != 0 && vmmError(guest) == VMM_ERR_INVALID_LEN) {
                int needed = request.get(JAVA_INT_UNALIGNED, 104);
                if (needed <= 0 || needed > MAX_CERTS || needed % PAGE != 0) {
                    throw new AttesterException("SNP_GET_EXT_REPORT: the host asks for a certificate buffer of "
                            + Integer.toUnsignedString(needed) + " bytes (expected whole pages up to " + MAX_CERTS + ")");
                }
                MemorySegment buffer = arena.allocate(needed, PAGE);
                request.set(JAVA_LONG_UNALIGNED, 96, buffer.address());
                request.set(JAVA_INT_UNALIGNED, 104, needed);
                guest.set(JAVA_LONG_UNALIGNED, 24, 0L);
                certs = Optional.of(buffer);
                errno = device.ioctl(SNP_GET_EXT_REPORT, guest);
            }
            if (errno != 0) {
                throw new AttesterException("SNP_GET_EXT_REPORT on " + device + " failed: errno " + errno
                        + ", firmware error 0x" + Integer.toHexString(guest.get(JAVA_INT_UNALIGNED, 24))
                        + ", hypervisor error 0x" + Integer.toHexString(vmmError(guest)));
            }
            return new SnpRawReport(report(response), certs.map(b -> b.toArray(JAVA_BYTE)));
        } catch (IOException e) {
            throw new AttesterException("SNP report via " + device + ": " + e.getMessage(), e);
        }
    }

    private static int vmmError(MemorySegment guest) {
        return guest.get(JAVA_INT_UNALIGNED, 28);
    }

    private static byte[] report(MemorySegment response) throws AttesterException {
        int status = response.get(JAVA_INT_UNALIGNED, 0);
        if (status != 0) {
            throw new AttesterException("SNP firmware refused the report: status 0x" + Integer.toHexString(status));
        }
        int size = response.get(JAVA_INT_UNALIGNED, 4);
        if (size < REPORT_SIZE || size > REPORT_RESP_SIZE - 32) {
            throw new AttesterException("SNP firmware returned a report of " + Integer.toUnsignedString(size)
                    + " bytes (expected " + REPORT_SIZE + ")");
        }
        return response.asSlice(32, REPORT_SIZE).toArray(JAVA_BYTE);
    }
}
