package org.cvmagent.ttrpc;

import org.cvmagent.rpc.MemoryBudget;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads ttRPC frames from a stream. Used by one thread at a time. A frame's payload is reserved
 * from a {@link MemoryBudget} as soon as its header announces the length, before the payload is
 * allocated; a frame the budget cannot take is skipped like an oversized one, so the stream stays
 * aligned and the peer can be told.
 */
public final class FrameReader {

    private static final int SKIP_CHUNK = 64 * 1024;
    /** The frame record and its bookkeeping, charged with every payload. */
    static final long FRAME_OVERHEAD = 256;

    private final InputStream in;
    private final int maxPayload;
    private final MemoryBudget budget;
    private final byte[] header = new byte[Frame.HEADER_LENGTH];

    /** A reader whose frames are not charged to any budget (clients reading their own answers). */
    public FrameReader(InputStream in, int maxPayload) {
        this(in, maxPayload, MemoryBudget.unbounded());
    }

    public FrameReader(InputStream in, int maxPayload, MemoryBudget budget) {
        this.in = in instanceof BufferedInputStream ? in : new BufferedInputStream(in, 64 * 1024);
        this.maxPayload = maxPayload;
        this.budget = budget;
    }

    /** A frame and the part of the budget its payload holds; the receiver closes the reservation when done. */
    public record Reserved(Frame frame, MemoryBudget.Reservation reservation) {
    }

    /**
     * The next frame, or {@code null} when the peer closed the stream between frames. Its payload
     * is released from the budget at once: for readers whose frames are not held for long.
     *
     * @throws FrameTooLargeException    the frame was over the limit and was skipped
     * @throws FrameOverBudgetException the budget could not take the frame, which was skipped
     * @throws EOFException              the stream ended inside a frame
     */
    public Frame read() throws IOException {
        Reserved reserved = readReserved();
        if (reserved == null) {
            return null;
        }
        reserved.reservation().close();
        return reserved.frame();
    }

    /**
     * The next frame with its reservation, or {@code null} when the peer closed the stream
     * between frames.
     *
     * @throws FrameTooLargeException    the frame was over the limit and was skipped
     * @throws FrameOverBudgetException the budget could not take the frame, which was skipped
     * @throws EOFException              the stream ended inside a frame
     */
    public Reserved readReserved() throws IOException {
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
        var reservation = budget.tryReserve(length + FRAME_OVERHEAD);
        if (reservation.isEmpty()) {
            skip(length);
            throw new FrameOverBudgetException(streamId, type, length, budget);
        }
        try {
            byte[] payload = new byte[(int) length];
            readFully(payload, 0, payload.length);
            return new Reserved(new Frame(streamId, type, flags, payload), reservation.get());
        } catch (IOException | RuntimeException | Error e) {
            reservation.get().close();
            throw e;
        }
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
