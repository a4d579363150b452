package org.cvmagent.ttrpc;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/** Reads ttRPC frames from a stream. Used by one thread at a time. */
public final class FrameReader {

    private static final int SKIP_CHUNK = 64 * 1024;

    private final InputStream in;
    private final int maxPayload;
    private final byte[] header = new byte[Frame.HEADER_LENGTH];

    public FrameReader(InputStream in, int maxPayload) {
        this.in = in instanceof BufferedInputStream ? in : new BufferedInputStream(in, 64 * 1024);
        this.maxPayload = maxPayload;
    }

    /**
     * The next frame, or {@code null} when the peer closed the stream between frames.
     *
     * @throws FrameTooLargeException the frame was over the limit and was skipped
     * @throws EOFException           the stream ended inside a frame
     */
    public Frame read() throws IOException {
        int first = in.read();
        if (first < 0) {
            return null;
        }
        header[0] = (byte) first;
        readFully(header, 1, Frame.HEADER_LENGTH - 1);
        long length = Integer.toUnsignedLong(intAt(0));
        int streamId = intAt(4);
        byte type = header[8];
        byte flags = header[9];
        if (length > maxPayload) {
            skip(length);
            throw new FrameTooLargeException(streamId, type, length, maxPayload);
        }
        byte[] payload = new byte[(int) length];
        readFully(payload, 0, payload.length);
        return new Frame(streamId, type, flags, payload);
    }

    private int intAt(int offset) {
        return ((header[offset] & 0xff) << 24) | ((header[offset + 1] & 0xff) << 16)
                | ((header[offset + 2] & 0xff) << 8) | (header[offset + 3] & 0xff);
    }

    private void readFully(byte[] buffer, int offset, int length) throws IOException {
        int done = 0;
        while (done < length) {
            int n = in.read(buffer, offset + done, length - done);
            if (n < 0) {
                throw new EOFException("connection closed inside a ttrpc frame");
            }
            done += n;
        }
    }

    private void skip(long length) throws IOException {
        byte[] sink = new byte[(int) Math.min(SKIP_CHUNK, length)];
        long left = length;
        while (left > 0) {
            int n = in.read(sink, 0, (int) Math.min(sink.length, left));
            if (n < 0) {
                throw new EOFException("connection closed inside an oversized ttrpc frame");
            }
            left -= n;
        }
    }
}
