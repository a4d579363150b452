package org.cvmagent.ttrpc;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import com.google.protobuf.WireFormat;
import org.cvmagent.proto.ttrpc.Response;

import java.io.IOException;

/**
 * A successful ttRPC answer, {@code Response{payload = result}}, encoded straight from the result:
 * the same bytes protobuf writes for the Response built around {@code result.toByteString()}
 * (field 2, length-delimited, left out when empty as proto3's default), without that copy of the
 * whole result (a ReadStdout answer is 64 KiB or more).
 */
final class PayloadResponse implements FrameWriter.Payload {

    private final MessageLite result;
    private final int resultSize;

    PayloadResponse(MessageLite result) {
        this.result = result;
        this.resultSize = result.getSerializedSize();
    }

    /** The encoded Response's size. */
    int size() {
        if (resultSize == 0) {
            return 0;
        }
        return CodedOutputStream.computeTagSize(Response.PAYLOAD_FIELD_NUMBER)
                + CodedOutputStream.computeUInt32SizeNoTag(resultSize) + resultSize;
    }

    @Override
    public void writeTo(CodedOutputStream out) throws IOException {
        if (resultSize == 0) {
            return;
        }
        out.writeTag(Response.PAYLOAD_FIELD_NUMBER, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        out.writeUInt32NoTag(resultSize);
        result.writeTo(out);
    }
}
