package org.cvmagent.ttrpc;

import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Writes whole frames to a stream; safe for many threads, one frame at a time, so frames of
 * concurrent calls never interleave.
 */
public final class FrameWriter {

    private final OutputStream out;
    private final ReentrantLock lock = new ReentrantLock();

    public FrameWriter(OutputStream out) {
        this.out = out;
    }

    public void write(Frame frame) throws IOException {
        byte[] payload = frame.payload();
        // Header and payload in one buffer: one syscall per frame for the common small message.
        byte[] wire = new byte[Frame.HEADER_LENGTH + payload.length];
        putInt(wire, 0, payload.length);
        putInt(wire, 4, frame.streamId());
        wire[8] = frame.type();
        wire[9] = frame.flags();
        System.arraycopy(payload, 0, wire, Frame.HEADER_LENGTH, payload.length);
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
