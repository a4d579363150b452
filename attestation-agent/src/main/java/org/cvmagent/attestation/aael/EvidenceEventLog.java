package org.cvmagent.attestation.aael;

import java.io.ByteArrayOutputStream;
import java.util.Optional;
import org.cvmagent.attestation.EvidenceFormatException;
import org.cvmagent.attestation.LittleEndianReader;

/**
 * The event log that goes into evidence, assembled as guest-components' {@code read_eventlog}
 * does: the firmware's CCEL up to its terminator (the ACPI table is padded to its reserved size),
 * or, without a CCEL, a fixed Spec ID header declaring SHA-384 and SM3 digests; then the AAEL
 * entries; then an all-ones terminator. Nothing at all when there is neither.
 */
public final class EvidenceEventLog {
    /**
     * guest-components' {@code EL_HEADER}: an EV_NO_ACTION Spec ID event (all-zero signature and
     * versions) declaring SHA-384 (0x0c, 48 bytes) and SM3 (0x12, 32 bytes).
     */
    private static final byte[] HEADER = header();
    private static final byte[] END = {-1, -1, -1, -1, -1, -1, -1, -1};

    private EvidenceEventLog() {
    }

    public static Optional<byte[]> assemble(Optional<byte[]> ccel, byte[] aael) throws EvidenceFormatException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (ccel.isPresent()) {
            byte[] raw = ccel.get();
            out.write(raw, 0, logLength(raw));
        }
        if (aael.length > 0) {
            if (out.size() == 0) {
                out.writeBytes(HEADER);
            }
            out.writeBytes(aael);
        }
        if (out.size() == 0) {
            return Optional.empty();
        }
        out.writeBytes(END);
        return Optional.of(out.toByteArray());
    }

    /** Where the CCEL's events end: at the first all-zero or all-ones terminator. */
    static int logLength(byte[] ccel) throws EvidenceFormatException {
        LittleEndianReader r = new LittleEndianReader(ccel, 0, "CCEL");
        r.u32("first event's register");
        long type = r.u32("first event's type");
        r.bytes(20, "first event's SHA-1 digest");
        if (type == 0x3) {
            r.bytes(r.length32("first event's data size"), "first event's data");
        }
        while (true) {
            if (r.remaining() < 8) {
                throw new EvidenceFormatException("CCEL: no terminator after the last event at offset " + r.position());
            }
            int start = r.position();
            long marker = r.u64("terminator");
            if (marker == 0 || marker == -1L) {
                return start;
            }
            r.seek(start + 8);
            long digests = r.u32("digest count");
            for (long i = 0; i < digests; i++) {
                int alg = r.u16("digest algorithm");
                r.bytes(digestSize(alg, r.position()), "digest");
            }
            r.bytes(r.length32("event data size"), "event data");
        }
    }

    /** The digest sizes guest-components knows; any other algorithm makes the CCEL unreadable for it too. */
    private static int digestSize(int alg, int offset) throws EvidenceFormatException {
        return switch (alg) {
            case 0xb, 0x12 -> 32;
            case 0xc -> 48;
            case 0xd -> 64;
            default -> throw new EvidenceFormatException("CCEL: unsupported digest algorithm 0x"
                    + Integer.toHexString(alg) + " at offset " + offset);
        };
    }

    private static byte[] header() {
        byte[] h = new byte[69];
        h[4] = 0x03;          // EV_NO_ACTION
        h[28] = 0x25;         // event data size 37
        h[56] = 0x02;         // two algorithms
        h[60] = 0x0c;         // SHA-384 ...
        h[62] = 0x30;         // ... 48 bytes
        h[64] = 0x12;         // SM3 ...
        h[66] = 0x20;         // ... 32 bytes
        return h;
    }
}
