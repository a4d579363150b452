package org.cvmagent.rpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import org.cvmagent.proto.agent.ReadStreamResponse;
import org.cvmagent.proto.ttrpc.Response;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class AliasingParseTest {

    @Test
    void bytesFieldsShareTheFramesBufferThroughTheEnvelope() throws Exception {
        byte[] data = new byte[64 * 1024];
        data[0] = 1;
        byte[] frame = Response.newBuilder()
                .setPayload(ReadStreamResponse.newBuilder().setData(ByteString.copyFrom(data)).build().toByteString())
                .build().toByteArray();
        Response response = AliasingParse.parse(Response.parser(), frame);
        ReadStreamResponse read = AliasingParse.parse(ReadStreamResponse.parser(), response.getPayload());
        assertEquals(1, read.getData().byteAt(0));
        // the test writes the buffer only to show that nothing was copied; a frame is never written
        frame[frame.length - data.length] = 7;
        assertEquals(7, read.getData().byteAt(0));
    }

    @Test
    void malformedOrTruncatedBytesAreRefused() {
        byte[] whole = ReadStreamResponse.newBuilder().setData(ByteString.copyFromUtf8("output")).build().toByteArray();
        byte[] truncated = java.util.Arrays.copyOf(whole, whole.length - 2);
        assertThrows(InvalidProtocolBufferException.class, () -> AliasingParse.parse(ReadStreamResponse.parser(), truncated));
        // an end-group tag ends parseFrom early; the rest of the buffer must not be ignored silently
        byte[] endGroup = {0x0c, 0x0a, 0x01, 0x41};
        assertThrows(InvalidProtocolBufferException.class, () -> AliasingParse.parse(ReadStreamResponse.parser(), endGroup));
    }
}
