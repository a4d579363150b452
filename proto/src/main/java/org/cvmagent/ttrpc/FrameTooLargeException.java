package org.cvmagent.ttrpc;

import java.io.IOException;

/**
 * A frame announced a payload over the limit. The reader has already skipped its payload, so the
 * stream is still aligned on a frame boundary and the connection can go on.
 */
public final class FrameTooLargeException extends IOException {

    private final int streamId;
    private final byte type;
    private final long length;

    public FrameTooLargeException(int streamId, byte type, long length, int limit) {
        super("ttrpc frame on stream " + Integer.toUnsignedString(streamId) + " has " + length
                + " bytes, over the limit of " + limit);
        this.streamId = streamId;
        this.type = type;
        this.length = length;
    }

    public int streamId() {
        return streamId;
    }

    public byte type() {
        return type;
    }

    public long length() {
        return length;
    }
}
