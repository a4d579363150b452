package org.cvmagent.ttrpc;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;

import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Writes whole frames to a stream; safe for many threads, one frame at a time, so frames of
 * concurrent calls never interleave.
 */
public final class FrameWriter {

    private static final int COALESCE_LIMIT = 64 * 1024;

    private final OutputStream out;
    private final ReentrantLock lock = new ReentrantLock();

    public FrameWriter(OutputStream out) {
        this.out = out;
    }

    public void write(Frame frame) throws IOException {
        byte[] payload = frame.payload();
        byte[] header = new byte[Frame.HEADER_LENGTH];
        putInt(header, 0, payload.length);
        putInt(header, 4, frame.streamId());
        header[8] = frame.type();
        header[9] = frame.flags();
        lock.lock();
        try {
            if (payload.length <= COALESCE_LIMIT) {
                // Header and payload in one buffer: one syscall for the common small message.
                byte[] wire = new byte[Frame.HEADER_LENGTH + payload.length];
                System.arraycopy(header, 0, wire, 0, Frame.HEADER_LENGTH);
                System.arraycopy(payload, 0, wire, Frame.HEADER_LENGTH, payload.length);
                out.write(wire);
            } else {
                // A large payload costs more to copy than a second write.
                out.write(header);
                out.write(payload);
            }
            out.flush();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Encodes {@code message} straight after the header in the one buffer that is written: no
     * intermediate array for the payload (a ReadStdout answer is 64 KiB or more).
     */
    public void write(int streamId, byte type, byte flags, MessageLite message) throws IOException {
        write(streamId, type, flags, message.getSerializedSize(), message::writeTo);
    }

    /** What encodes a frame's payload of a size known in advance. */
    public interface Payload {
        void writeTo(CodedOutputStream out) throws IOException;
    }

    /**
     * Encodes a payload of exactly {@code size} bytes straight after the header in the one buffer
     * that is written, for a caller that can encode without building the message first.
     */
    public void write(int streamId, byte type, byte flags, int size, Payload payload) throws IOException {
        byte[] wire = new byte[Frame.HEADER_LENGTH + size];
        CodedOutputStream encoder = CodedOutputStream.newInstance(wire, Frame.HEADER_LENGTH, size);
        payload.writeTo(encoder);
        encoder.checkNoSpaceLeft();
        putInt(wire, 0, size);
        putInt(wire, 4, streamId);
        wire[8] = type;
        wire[9] = flags;
        lock.lock();
        try {
            out.write(wire);
            out.flush();
        } finally {
            lock.unlock();
        }
    }

    private static void putInt(byte[] buffer, int offset, int value) {
        buffer[offset] = (byte) (value >>> 24);
        buffer[offset + 1] = (byte) (value >>> 16);
        buffer[offset + 2] = (byte) (value >>> 8);
        buffer[offset + 3] = (byte) value;
    }
}
