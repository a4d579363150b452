package org.cvmagent.agent.server;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import org.cvmagent.proto.ttrpc.Request;
import org.cvmagent.ttrpc.Frame;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Seeded mutations of ttRPC frames: bit flips, byte edits, insertions, deletions, splices, and
 * header fields set to boundary values. Deterministic for a given seed, so a failure replays.
 */
final class FrameMutator {

    private static final int[] LENGTHS = {0, 1, 9, 10, 0x7f, 0x80, 0xffff, 4 << 20, (4 << 20) + 1,
            0x7fffffff, 0x80000000, 0xffffffff};

    private final Random random;
    private final List<byte[]> seeds;

    FrameMutator(long seed, List<byte[]> seeds) {
        this.random = new Random(seed);
        this.seeds = List.copyOf(seeds);
    }

    byte[] next() {
        byte[] frame = seeds.get(random.nextInt(seeds.size())).clone();
        // mostly one mutation, so many frames still reach the dispatcher; sometimes a pile-up
        int rounds = random.nextInt(4) == 0 ? 2 + random.nextInt(3) : 1;
        for (int i = 0; i < rounds; i++) {
            frame = mutate(frame);
        }
        return frame;
    }

    /**
     * A mutated frame whose length field is right again: type, flags, stream id and payload bytes
     * are fair game, but the stream stays aligned, so every later frame on the connection is read.
     */
    byte[] nextAligned() {
        byte[] frame = seeds.get(random.nextInt(seeds.size())).clone();
        byte[] payload = Arrays.copyOfRange(frame, Frame.HEADER_LENGTH, frame.length);
        if (frame[8] == Frame.TYPE_REQUEST && random.nextBoolean()) {
            // keep the envelope, so the mutated request body gets past routing to decoding and the gate
            try {
                Request envelope = Request.parseFrom(payload);
                payload = envelope.toBuilder().setPayload(ByteString.copyFrom(mutated(envelope.getPayload().toByteArray())))
                        .build().toByteArray();
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalStateException("seeds must be valid requests", e);
            }
        } else {
            payload = mutated(payload);
        }
        ByteBuffer header = ByteBuffer.wrap(frame, 0, Frame.HEADER_LENGTH);
        int streamId = header.getInt(4);
        byte type = frame[8];
        byte flags = frame[9];
        switch (random.nextInt(8)) {
            case 0 -> streamId = random.nextInt();
            case 1 -> type = (byte) random.nextInt(256);
            case 2 -> flags = (byte) random.nextInt(256);
            default -> { }
        }
        return ByteBuffer.allocate(Frame.HEADER_LENGTH + payload.length).putInt(payload.length).putInt(streamId)
                .put(type).put(flags).put(payload).array();
    }

    private byte[] mutated(byte[] in) {
        byte[] out = in;
        int rounds = random.nextInt(4) == 0 ? 2 + random.nextInt(3) : 1;
        for (int i = 0; i < rounds; i++) {
            out = mutate(out);
        }
        return out;
    }

    private byte[] mutate(byte[] in) {
        if (in.length == 0) {
            return randomBytes(1 + random.nextInt(32));
        }
        return switch (random.nextInt(11)) {
            case 0 -> flipBit(in);
            case 1 -> setByte(in);
            case 2 -> insert(in);
            case 3 -> delete(in);
            case 4 -> Arrays.copyOf(in, random.nextInt(in.length)); // truncate
            case 5 -> splice(in, seeds.get(random.nextInt(seeds.size())));
            case 6 -> header(in, 0, LENGTHS[random.nextInt(LENGTHS.length)]); // length
            case 7 -> header(in, 4, random.nextBoolean() ? random.nextInt() : random.nextInt(8)); // stream id
            case 8 -> headerByte(in, 8); // type
            case 9 -> headerByte(in, 9); // flags
            default -> payloadGarbage(in);
        };
    }

    private byte[] flipBit(byte[] in) {
        int bit = random.nextInt(in.length * 8);
        in[bit / 8] ^= (byte) (1 << (bit % 8));
        return in;
    }

    private byte[] setByte(byte[] in) {
        in[random.nextInt(in.length)] = (byte) random.nextInt(256);
        return in;
    }

    private byte[] insert(byte[] in) {
        int at = random.nextInt(in.length + 1);
        byte[] extra = randomBytes(1 + random.nextInt(16));
        byte[] out = new byte[in.length + extra.length];
        System.arraycopy(in, 0, out, 0, at);
        System.arraycopy(extra, 0, out, at, extra.length);
        System.arraycopy(in, at, out, at + extra.length, in.length - at);
        return out;
    }

    private byte[] delete(byte[] in) {
        int from = random.nextInt(in.length);
        int to = Math.min(in.length, from + 1 + random.nextInt(16));
        byte[] out = new byte[in.length - (to - from)];
        System.arraycopy(in, 0, out, 0, from);
        System.arraycopy(in, to, out, from, in.length - to);
        return out;
    }

    private byte[] splice(byte[] a, byte[] b) {
        int cutA = random.nextInt(a.length + 1);
        int cutB = random.nextInt(b.length + 1);
        byte[] out = new byte[cutA + (b.length - cutB)];
        System.arraycopy(a, 0, out, 0, cutA);
        System.arraycopy(b, cutB, out, cutA, b.length - cutB);
        return out;
    }

    private byte[] header(byte[] in, int offset, int value) {
        if (in.length < offset + 4) {
            return in;
        }
        ByteBuffer.wrap(in).putInt(offset, value);
        return in;
    }

    private byte[] headerByte(byte[] in, int offset) {
        if (in.length > offset) {
            in[offset] = (byte) random.nextInt(256);
        }
        return in;
    }

    private byte[] payloadGarbage(byte[] in) {
        if (in.length <= 10) {
            return in;
        }
        for (int i = 10; i < in.length; i++) {
            if (random.nextInt(8) == 0) {
                in[i] = (byte) random.nextInt(256);
            }
        }
        return in;
    }

    private byte[] randomBytes(int n) {
        byte[] out = new byte[n];
        random.nextBytes(out);
        return out;
    }
}
