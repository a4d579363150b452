package org.cvmagent.ttrpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import org.cvmagent.proto.agent.ReadStreamResponse;
import org.cvmagent.proto.ttrpc.Response;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The answer encoded straight from the result is byte for byte the Response protobuf would write. */
class PayloadResponseTest {

    @Test
    void encodesExactlyAsTheBuiltResponse() throws Exception {
        byte[] data = new byte[200_000];
        new Random(7).nextBytes(data);
        for (int length : new int[] {0, 1, 127, 128, 16_383, 16_384, 65_536, 200_000}) {
            ReadStreamResponse result = ReadStreamResponse.newBuilder()
                    .setData(ByteString.copyFrom(data, 0, length)).build();
            assertSame(result);
        }
        assertSame(ReadStreamResponse.getDefaultInstance());
    }

    private static void assertSame(MessageLite result) throws Exception {
        byte[] expected = Response.newBuilder().setPayload(result.toByteString()).build().toByteArray();
        PayloadResponse response = new PayloadResponse(result);
        assertEquals(expected.length, response.size());
        byte[] got = new byte[response.size()];
        CodedOutputStream out = CodedOutputStream.newInstance(got);
        response.writeTo(out);
        out.checkNoSpaceLeft();
        assertArrayEquals(expected, got);
    }
}
