package org.cvmagent.rpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;

/**
 * An upper estimate of the heap a protobuf message will take once decoded, read from its wire
 * bytes without decoding them, so the bytes can be reserved from a {@link MemoryBudget} before
 * they are allocated. Decoding can multiply the wire size many times: an empty sub-message is two
 * bytes on the wire and a Java object with a slot per declared field in memory, an unknown varint
 * two bytes and a boxed value in a list. The estimate follows the message's descriptor the way the
 * parser does, one pass, allocating nothing per field.
 */
public final class DecodedCost {

    /** An object header, the memoized size and hash, the unknown-field set reference. */
    static final long MESSAGE = 48;
    /** A slot per declared field (reference or primitive). */
    static final long FIELD = 8;
    /** A ByteString or String object and its array header. */
    static final long LENGTH_DELIMITED = 64;
    /** A list slot, plus a box or a map entry around the value. */
    static final long ELEMENT = 48;
    /** A field the descriptor does not know: kept in the unknown-field set, in a list of its own. */
    static final long UNKNOWN = 96;
    /** Protobuf's own default recursion limit: the parser refuses deeper messages. */
    static final int MAX_DEPTH = 100;

    private DecodedCost() {
    }

    /** The estimate for {@code bytes} decoded as {@code type}. */
    public static long of(Descriptor type, ByteString bytes) throws InvalidProtocolBufferException {
        return of(type, bytes.newCodedInput());
    }

    /** The estimate for {@code bytes} decoded as {@code type}. */
    public static long of(Descriptor type, byte[] bytes) throws InvalidProtocolBufferException {
        return of(type, CodedInputStream.newInstance(bytes));
    }

    private static long of(Descriptor type, CodedInputStream in) throws InvalidProtocolBufferException {
        try {
            return message(type, in, 0);
        } catch (InvalidProtocolBufferException e) {
            throw e;
        } catch (java.io.IOException e) {
            // only malformed input makes an in-memory stream fail
            throw new InvalidProtocolBufferException(e);
        }
    }

    private static long message(Descriptor type, CodedInputStream in, int depth) throws java.io.IOException {
        if (depth > MAX_DEPTH) {
            throw new InvalidProtocolBufferException("message nested more than " + MAX_DEPTH + " levels deep");
        }
        long cost = MESSAGE + FIELD * type.getFields().size();
        while (true) {
            int tag = in.readTag();
            if (tag == 0) {
                return cost;
            }
            FieldDescriptor field = type.findFieldByNumber(WireFormat.getTagFieldNumber(tag));
            int wireType = WireFormat.getTagWireType(tag);
            if (wireType != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                // A number: nothing for a singular field that matches, an element for a repeated
                // one, an unknown field for a mismatch. Charged as the last, whichever it is.
                cost += UNKNOWN + skip(in, tag);
            } else if (field == null || !lengthDelimited(field)) {
                cost += UNKNOWN + lengthThenSkip(in);
            } else {
                cost += (field.isRepeated() ? ELEMENT : 0) + lengthDelimited(field, in, depth);
            }
        }
    }

    /** Whether the parser reads this field from a length-delimited value (else it keeps it as unknown). */
    private static boolean lengthDelimited(FieldDescriptor field) {
        return switch (field.getJavaType()) {
            case MESSAGE, STRING, BYTE_STRING -> true;
            default -> field.isRepeated();
        };
    }

    private static long lengthDelimited(FieldDescriptor field, CodedInputStream in, int depth) throws java.io.IOException {
        int length = in.readRawVarint32();
        if (length < 0) {
            throw new InvalidProtocolBufferException("negative length " + length);
        }
        return switch (field.getJavaType()) {
            case MESSAGE -> {
                int limit = in.pushLimit(length);
                long nested = message(field.getMessageType(), in, depth + 1);
                in.checkLastTagWas(0);
                in.popLimit(limit);
                yield nested;
            }
            // kept as bytes, then as a String (two bytes a char) once read: both, to be safe
            case STRING -> {
                in.skipRawBytes(length);
                yield LENGTH_DELIMITED * 2 + 3L * length;
            }
            case BYTE_STRING -> {
                in.skipRawBytes(length);
                yield LENGTH_DELIMITED + length;
            }
            // a packed run of numbers: at most one element per byte
            default -> {
                in.skipRawBytes(length);
                yield ELEMENT * (long) length;
            }
        };
    }

    private static long lengthThenSkip(CodedInputStream in) throws java.io.IOException {
        int length = in.readRawVarint32();
        if (length < 0) {
            throw new InvalidProtocolBufferException("negative length " + length);
        }
        in.skipRawBytes(length);
        return LENGTH_DELIMITED + length;
    }

    /** Skips a value that is not length-delimited (a group is skipped whole, charged by its size). */
    private static long skip(CodedInputStream in, int tag) throws java.io.IOException {
        int before = in.getTotalBytesRead();
        if (!in.skipField(tag)) {
            throw new InvalidProtocolBufferException("unexpected end-group tag");
        }
        return UNKNOWN * Math.max(1, in.getTotalBytesRead() - before) / 2;
    }
}
