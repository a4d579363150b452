package org.cvmagent.attestation.aael;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.cvmagent.attestation.eventlog.TcgAlgorithm;

/**
 * An AAEL event as one TCG2 crypto-agile event log entry, byte for byte as guest-components'
 * {@code Tcg2EventEntry} writes it (all little-endian):
 * {@code register u32 | EV_EVENT_TAG (6) u32 | digest count 1 u32 | algorithm id u16 | digest |
 * event size u32 | TCG_PCClientTaggedEvent}, where the tagged event is
 * {@code id "AAEL" (0x4141454c) u32 | text size u32 | text}. The digest is taken over the whole
 * tagged event, and that digest is what the register is extended with.
 */
public record AaelEntry(AaelEvent event, long register, TcgAlgorithm algorithm, byte[] digest, byte[] bytes) {
    static final int EV_EVENT_TAG = 0x6;
    static final int AAEL_TAGGED_EVENT_ID = 0x4141454c;

    /** The entry for an event measured into a CC measurement register (TDX: RTMR n is register n+1). */
    public static AaelEntry of(AaelEvent event, long register, TcgAlgorithm algorithm) {
        if (register < 0 || register > 0xffffffffL) {
            throw new IllegalArgumentException("event log register index out of range: " + register);
        }
        byte[] text = event.utf8();
        byte[] tagged = ByteBuffer.allocate(8 + text.length).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(AAEL_TAGGED_EVENT_ID).putInt(text.length).put(text).array();
        byte[] digest = digest(algorithm, tagged);
        byte[] bytes = ByteBuffer.allocate(4 + 4 + 4 + 2 + digest.length + 4 + tagged.length)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putInt((int) register).putInt(EV_EVENT_TAG).putInt(1)
                .putShort((short) algorithm.id()).put(digest)
                .putInt(tagged.length).put(tagged).array();
        return new AaelEntry(event, register, algorithm, digest, bytes);
    }

    public byte[] digest() {
        return digest.clone();
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    static byte[] digest(TcgAlgorithm algorithm, byte[] data) {
        return algorithm.newDigest().orElseThrow(() -> new IllegalArgumentException(
                algorithm.displayName() + " is not a digest algorithm")).digest(data);
    }
}
