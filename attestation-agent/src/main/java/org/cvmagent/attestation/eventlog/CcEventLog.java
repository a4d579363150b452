package org.cvmagent.attestation.eventlog;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.cvmagent.attestation.EvidenceFormatException;
import org.cvmagent.attestation.LittleEndianReader;

/**
 * A confidential-computing event log in the TCG2 crypto-agile format (the TDX CCEL ACPI table's
 * data): a first SHA-1-format event (EV_NO_ACTION, "Spec ID Event03") declaring the digest
 * algorithms and sizes, then events with one digest per algorithm, up to an all-zero or all-ones
 * terminator or the end of the data.
 */
public record CcEventLog(List<EventLogEntry> entries) {

    public static CcEventLog parse(byte[] data) throws EvidenceFormatException {
        LittleEndianReader r = new LittleEndianReader(data, 0, "event log");
        Map<TcgAlgorithm, Integer> sizes = specIdEvent(r);
        List<EventLogEntry> entries = new ArrayList<>();
        while (r.remaining() >= 8) {
            int start = r.position();
            long marker = r.u64("terminator");
            if (marker == 0 || marker == -1L) {
                break;
            }
            r.seek(start);
            entries.add(entry(r, sizes));
        }
        return new CcEventLog(List.copyOf(entries));
    }

    /** Replays the digests of one register in one bank: what the register must hold after them. */
    public byte[] replay(long index, TcgAlgorithm algorithm) throws EvidenceFormatException {
        MessageDigest md = digest(algorithm);
        byte[] register = new byte[algorithm.digestSize()];
        for (EventLogEntry e : entries) {
            if (e.index() != index) {
                continue;
            }
            for (EventDigest d : e.digests()) {
                if (d.algorithm() == algorithm) {
                    md.update(register);
                    md.update(d.digest());
                    register = md.digest();
                }
            }
        }
        return register;
    }

    private static Map<TcgAlgorithm, Integer> specIdEvent(LittleEndianReader r) throws EvidenceFormatException {
        r.u32("first event's register");
        long type = r.u32("first event's type");
        TcgEventType eventType = TcgEventType.of(type).orElseThrow(
                () -> new EvidenceFormatException("event log: unknown first event type 0x" + Long.toHexString(type)));
        r.bytes(20, "first event's SHA-1 digest");
        int size = r.length32("first event's data size");
        Map<TcgAlgorithm, Integer> sizes = new EnumMap<>(TcgAlgorithm.class);
        if (eventType != TcgEventType.EV_NO_ACTION) {
            r.bytes(size, "first event's data");
            return sizes;
        }
        int end = r.position() + size;
        // TCG_EfiSpecIdEvent: signature[16], platformClass u32, versions u8 x2, errata u8, uintnSize u8
        r.bytes(24, "Spec ID event header");
        long count = r.u32("Spec ID algorithm count");
        for (long i = 0; i < count; i++) {
            int id = r.u16("Spec ID algorithm id");
            int digestSize = r.u16("Spec ID digest size");
            TcgAlgorithm alg = TcgAlgorithm.of(id).orElseThrow(
                    () -> new EvidenceFormatException("event log: unknown digest algorithm 0x" + Integer.toHexString(id)));
            sizes.put(alg, digestSize);
        }
        int vendorSize = r.u8("Spec ID vendor info size");
        r.bytes(vendorSize, "Spec ID vendor info");
        if (r.position() != end) {
            throw new EvidenceFormatException("event log: Spec ID event is " + size + " bytes but its fields take "
                    + (r.position() - (end - size)));
        }
        return sizes;
    }

    private static EventLogEntry entry(LittleEndianReader r, Map<TcgAlgorithm, Integer> sizes)
            throws EvidenceFormatException {
        long index = r.u32("event register");
        long type = r.u32("event type");
        TcgEventType eventType = TcgEventType.of(type).orElseThrow(
                () -> new EvidenceFormatException("event log: unknown event type 0x" + Long.toHexString(type)
                        + " at offset " + (r.position() - 4)));
        long count = r.u32("digest count");
        List<EventDigest> digests = new ArrayList<>();
        for (long i = 0; i < count; i++) {
            int id = r.u16("digest algorithm");
            TcgAlgorithm alg = TcgAlgorithm.of(id).orElseThrow(
                    () -> new EvidenceFormatException("event log: unknown digest algorithm 0x" + Integer.toHexString(id)));
            Integer size = sizes.get(alg);
            if (size == null) {
                throw new EvidenceFormatException("event log: no digest size declared for " + alg.displayName());
            }
            digests.add(new EventDigest(alg, r.bytes(size, "digest")));
        }
        int dataSize = r.length32("event data size");
        byte[] data = r.bytes(dataSize, "event data");
        return new EventLogEntry(index, eventType, List.copyOf(digests), data, eventType.decoder().decode(data),
                digestsMatch(data, digests));
    }

    /** Whether every digest is the hash of the data itself (an algorithm the JDK lacks fails the event). */
    private static boolean digestsMatch(byte[] data, List<EventDigest> digests) throws EvidenceFormatException {
        for (EventDigest d : digests) {
            if (!MessageDigest.isEqual(digest(d.algorithm()).digest(data), d.digest())) {
                return false;
            }
        }
        return true;
    }

    private static MessageDigest digest(TcgAlgorithm algorithm) throws EvidenceFormatException {
        return algorithm.newDigest().orElseThrow(() -> new EvidenceFormatException("event log: "
                + algorithm.displayName() + " is not a digest algorithm"));
    }
}
