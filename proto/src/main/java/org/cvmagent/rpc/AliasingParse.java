package org.cvmagent.rpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Parser;
import com.google.protobuf.UnsafeByteOperations;

/**
 * Parses a message whose {@code bytes} fields share the buffer they were read from instead of
 * copying it. A ttRPC frame's payload is a fresh array nobody writes after reading it, so a
 * ReadStdout answer's or a WriteStdin request's data (up to 4 MiB) is not copied once for the
 * envelope and again for the message inside it.
 */
public final class AliasingParse {

    private AliasingParse() {
    }

    /** @param bytes never written again by anyone */
    public static <T> T parse(Parser<T> parser, byte[] bytes) throws InvalidProtocolBufferException {
        return parse(parser, UnsafeByteOperations.unsafeWrap(bytes));
    }

    /** @param bytes from {@link #parse} or otherwise immutable */
    public static <T> T parse(Parser<T> parser, ByteString bytes) throws InvalidProtocolBufferException {
        CodedInputStream in = bytes.newCodedInput();
        in.enableAliasing(true);
        T message = parser.parseFrom(in);
        // parseFrom(CodedInputStream) stops at a zero tag; a whole buffer must have been read
        in.checkLastTagWas(0);
        return message;
    }
}
