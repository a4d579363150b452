package org.cvmagent.attestation;

import java.util.Arrays;

/**
 * Bounds-checked little-endian reads over evidence bytes: every read names what it wanted, so a
 * truncated quote or log fails with the field, never with an index exception.
 */
public final class LittleEndianReader {
    private final byte[] data;
    private final String what;
    private int pos;

    public LittleEndianReader(byte[] data, int offset, String what) {
        this.data = data;
        this.pos = offset;
        this.what = what;
    }

    public int position() {
        return pos;
    }

    public int remaining() {
        return data.length - pos;
    }

    public void seek(int offset) throws EvidenceFormatException {
        if (offset < 0 || offset > data.length) {
            throw new EvidenceFormatException(what + ": offset " + offset + " outside " + data.length + " bytes");
        }
        pos = offset;
    }

    public byte[] bytes(int n, String field) throws EvidenceFormatException {
        need(n, field);
        byte[] out = Arrays.copyOfRange(data, pos, pos + n);
        pos += n;
        return out;
    }

    public int u8(String field) throws EvidenceFormatException {
        need(1, field);
        return data[pos++] & 0xff;
    }

    public int u16(String field) throws EvidenceFormatException {
        need(2, field);
        int v = (data[pos] & 0xff) | (data[pos + 1] & 0xff) << 8;
        pos += 2;
        return v;
    }

    public long u32(String field) throws EvidenceFormatException {
        need(4, field);
        long v = (data[pos] & 0xffL) | (data[pos + 1] & 0xffL) << 8 | (data[pos + 2] & 0xffL) << 16
                | (data[pos + 3] & 0xffL) << 24;
        pos += 4;
        return v;
    }

    public long u64(String field) throws EvidenceFormatException {
        long lo = u32(field);
        long hi = u32(field);
        return lo | hi << 32;
    }

    /** A u32 length that must fit in what is left; returned as an int. */
    public int length32(String field) throws EvidenceFormatException {
        long n = u32(field);
        if (n > remaining()) {
            throw new EvidenceFormatException(what + ": " + field + " is " + n + " bytes but only " + remaining()
                    + " remain");
        }
        return (int) n;
    }

    private void need(int n, String field) throws EvidenceFormatException {
        if (n < 0 || n > data.length - pos) {
            throw new EvidenceFormatException(what + ": truncated reading " + field + " at offset " + pos + " (need "
                    + n + " bytes, " + (data.length - pos) + " left)");
        }
    }
}
