package org.cvmagent.rpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import org.cvmagent.proto.agent.CreateContainerRequest;
import org.cvmagent.proto.agent.ExecProcessRequest;
import org.cvmagent.proto.agent.Process;
import org.cvmagent.proto.agent.Storage;
import org.cvmagent.proto.agent.WriteStreamRequest;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What is reserved before decoding must cover what decoding allocates, for shapes that expand
 * little (bytes) and much (empty sub-messages, unknown fields, many strings), and must stay
 * within a factor of it so honest requests are not refused.
 */
class DecodedCostTest {

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @Test
    void bytes() throws Exception {
        byte[] data = new byte[1 << 20];
        new Random(2).nextBytes(data);
        assertBounds(WriteStreamRequest.parser(), WriteStreamRequest.newBuilder().setContainerId("c")
                .setData(ByteString.copyFrom(data)).build().toByteArray());
    }

    @Test
    void emptySubMessages() throws Exception {
        CreateContainerRequest.Builder b = CreateContainerRequest.newBuilder();
        for (int i = 0; i < 50_000; i++) {
            b.addStorages(Storage.getDefaultInstance());
        }
        assertBounds(CreateContainerRequest.parser(), b.build().toByteArray());
    }

    @Test
    void strings() throws Exception {
        Process.Builder p = Process.newBuilder();
        for (int i = 0; i < 50_000; i++) {
            p.addArgs("ärgument-" + i);
        }
        assertBounds(ExecProcessRequest.parser(), ExecProcessRequest.newBuilder().setProcess(p).build().toByteArray());
    }

    @Test
    void unknownFields() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        for (int i = 0; i < 100_000; i++) {
            out.writeUInt64(1000 + i % 7, i);
            out.writeBytes(2000, ByteString.EMPTY);
        }
        out.flush();
        assertBounds(WriteStreamRequest.parser(), bytes.toByteArray());
    }

    @Test
    void malformedIsRefusedLikeTheParserRefusesIt() {
        byte[] truncated = {0x0a, 0x10, 'a'};
        assertThrows(InvalidProtocolBufferException.class,
                () -> DecodedCost.of(WriteStreamRequest.getDescriptor(), truncated));
        byte[] badNested = {0x22, 0x02, 0x0a, 0x05};
        assertThrows(InvalidProtocolBufferException.class,
                () -> DecodedCost.of(ExecProcessRequest.getDescriptor(), badNested));
    }

    private static void assertBounds(Parser<? extends Message> parser, byte[] wire) throws Exception {
        Message prototype = parser.parseFrom(wire);
        decodeAndRead(parser, wire);
        long allocated = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            long before = THREADS.getCurrentThreadAllocatedBytes();
            decodeAndRead(parser, wire);
            allocated = Math.min(allocated, THREADS.getCurrentThreadAllocatedBytes() - before);
        }
        long estimate = DecodedCost.of(prototype.getDescriptorForType(), wire);
        String figures = prototype.getDescriptorForType().getName() + " of " + wire.length + " bytes: estimate "
                + estimate + ", allocated " + allocated;
        System.out.println(figures);
        assertTrue(estimate >= allocated, "estimate below what decoding allocated: " + figures);
        assertTrue(estimate <= 8 * allocated, "estimate far above what decoding allocated: " + figures);
    }

    /** Decodes, then reads every string once: the message keeps each as a String from then on. */
    private static void decodeAndRead(Parser<? extends Message> parser, byte[] wire) throws Exception {
        Message m = parser.parseFrom(wire);
        if (m instanceof ExecProcessRequest exec) {
            exec.getProcess().getArgsList().forEach(String::length);
        }
    }
}
