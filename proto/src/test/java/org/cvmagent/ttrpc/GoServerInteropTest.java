package org.cvmagent.ttrpc;

import com.google.protobuf.Empty;
import io.grpc.Status.Code;
import org.cvmagent.proto.test.EchoMessage;
import org.cvmagent.proto.test.MetadataResponse;
import org.cvmagent.proto.test.SleepRequest;
import org.cvmagent.rpc.RpcException;
import org.cvmagent.testing.EchoService;
import org.cvmagent.testing.GoPeer;
import org.cvmagent.transport.AgentAddress;
import org.cvmagent.transport.Transports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Our ttRPC client against containerd's Go ttRPC server (Debian's package). */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class GoServerInteropTest {

    private static final String ECHO = "cvmagent.test.Echo";

    @TempDir
    Path dir;

    @Test
    void javaClientTalksToGoServer() throws Exception {
        GoPeer peer = GoPeer.get();
        try (GoPeer.Server server = peer.serve(dir.resolve("go.sock"));
             TtrpcClient client = new TtrpcClient(new Transports().dial(
                     AgentAddress.parse("unix://" + server.socket()), Duration.ofSeconds(5)))) {
            for (int size : new int[] {0, 64, 4096, 1 << 20}) {
                EchoMessage sent = EchoService.message(size);
                assertEquals(sent, client.call(ECHO, "Echo", sent, EchoMessage.parser()), "payload " + size);
            }

            RpcException fail = assertThrows(RpcException.class,
                    () -> client.call(ECHO, "Fail", EchoMessage.getDefaultInstance(), EchoMessage.parser()));
            assertEquals(Code.FAILED_PRECONDITION, fail.code());
            assertEquals("fail requested", fail.getMessage());

            RpcException unknown = assertThrows(RpcException.class,
                    () -> client.call(ECHO, "Nope", EchoMessage.getDefaultInstance(), EchoMessage.parser()));
            assertEquals(Code.UNIMPLEMENTED, unknown.code());

            // timeout_nano reaches the Go server as its context deadline
            long start = System.nanoTime();
            RpcException late = assertThrows(RpcException.class, () -> client.call(ECHO, "Sleep",
                    SleepRequest.newBuilder().setMillis(10_000).build(), Empty.parser(), Duration.ofMillis(300), Map.of()));
            assertEquals(Code.DEADLINE_EXCEEDED, late.code());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));

            MetadataResponse metadata = client.call(ECHO, "Metadata", EchoMessage.getDefaultInstance(),
                    MetadataResponse.parser(), Duration.ofSeconds(5), Map.of("x-cvm", "yes"));
            assertTrue(metadata.getJson().contains("x-cvm") && metadata.getJson().contains("yes"), metadata.getJson());

            // many callers multiplexed on the one connection
            try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<EchoMessage>> answers = new ArrayList<>();
                for (int i = 0; i < 64; i++) {
                    EchoMessage sent = EchoService.message(i * 100);
                    answers.add(callers.submit(() -> client.call(ECHO, "Echo", sent, EchoMessage.parser())));
                }
                for (int i = 0; i < 64; i++) {
                    assertEquals(EchoService.message(i * 100), answers.get(i).get(30, TimeUnit.SECONDS));
                }
            }
        }
    }
}
