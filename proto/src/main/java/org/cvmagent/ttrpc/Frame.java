package org.cvmagent.ttrpc;

import java.util.Objects;

/**
 * One ttRPC message on the wire: a 10-byte header (uint32 big-endian payload length, uint32
 * stream id, uint8 type, uint8 flags) followed by the payload.
 */
public record Frame(int streamId, byte type, byte flags, byte[] payload) {

    public static final int HEADER_LENGTH = 10;
    /** containerd's default limit on a message's payload. */
    public static final int DEFAULT_MAX_PAYLOAD = 4 << 20;

    public static final byte TYPE_REQUEST = 1;
    public static final byte TYPE_RESPONSE = 2;
    public static final byte TYPE_DATA = 3;

    /** The sender will send no more data on this stream. */
    public static final byte FLAG_REMOTE_CLOSED = 0x1;
    /** The sender expects a stream of data frames (streaming calls). */
    public static final byte FLAG_REMOTE_OPEN = 0x2;
    /** A data frame that carries no data. */
    public static final byte FLAG_NO_DATA = 0x4;

    public Frame {
        Objects.requireNonNull(payload, "payload");
    }

    /** Stream ids are unsigned 32-bit on the wire. */
    public long unsignedStreamId() {
        return Integer.toUnsignedLong(streamId);
    }
}
