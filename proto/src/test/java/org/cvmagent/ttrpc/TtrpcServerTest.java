package org.cvmagent.ttrpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import io.grpc.Status.Code;
import org.cvmagent.proto.test.EchoMessage;
import org.cvmagent.proto.test.MetadataResponse;
import org.cvmagent.proto.test.SleepRequest;
import org.cvmagent.proto.ttrpc.Request;
import org.cvmagent.proto.ttrpc.Response;
import org.cvmagent.rpc.CallGate;
import org.cvmagent.rpc.Dispatcher;
import org.cvmagent.rpc.RpcException;
import org.cvmagent.rpc.ServiceRegistry;
import org.cvmagent.testing.EchoService;
import org.cvmagent.testing.MemoryListener;
import org.cvmagent.transport.Connection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TtrpcServerTest {

    private static final String ECHO = "cvmagent.test.Echo";

    private final EchoService echo = new EchoService();
    private final MemoryListener listener = new MemoryListener();
    private TtrpcServer server;

    private TtrpcServer start(CallGate gate, ServerOptions options) {
        server = new TtrpcServer(new Dispatcher(new ServiceRegistry(List.of(echo.binding())), gate), options);
        server.serve(listener);
        return server;
    }

    private TtrpcServer start() {
        return start(CallGate.ALLOW_ALL, ServerOptions.DEFAULTS);
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private TtrpcClient client() throws IOException {
        return new TtrpcClient(listener.connect());
    }

    @Test
    void echoesRequestPayload() throws Exception {
        start();
        try (TtrpcClient client = client()) {
            EchoMessage sent = EchoService.message(1000);
            EchoMessage got = client.call(ECHO, "Echo", sent, EchoMessage.parser());
            assertEquals(sent, got);
        }
    }

    @Test
    void unknownServiceAndMethodAreUnimplementedAndNamed() throws Exception {
        start();
        try (TtrpcClient client = client()) {
            RpcException service = assertThrows(RpcException.class,
                    () -> client.call("no.Such", "Thing", Empty.getDefaultInstance(), Empty.parser()));
            assertEquals(Code.UNIMPLEMENTED, service.code());
            assertTrue(service.getMessage().contains("no.Such"), service.getMessage());
            RpcException method = assertThrows(RpcException.class,
                    () -> client.call(ECHO, "Nope", Empty.getDefaultInstance(), Empty.parser()));
            assertEquals(Code.UNIMPLEMENTED, method.code());
            assertTrue(method.getMessage().contains("cvmagent.test.Echo/Nope"), method.getMessage());
            RpcException unbound = assertThrows(RpcException.class,
                    () -> client.call(ECHO, "Unbound", EchoMessage.getDefaultInstance(), EchoMessage.parser()));
            assertEquals(Code.UNIMPLEMENTED, unbound.code());
            assertTrue(unbound.getMessage().contains("cvmagent.test.Echo/Unbound"), unbound.getMessage());
        }
    }

    @Test
    void handlerStatusReachesClient() throws Exception {
        start();
        try (TtrpcClient client = client()) {
            RpcException e = assertThrows(RpcException.class,
                    () -> client.call(ECHO, "Fail", EchoMessage.getDefaultInstance(), EchoMessage.parser()));
            assertEquals(Code.FAILED_PRECONDITION, e.code());
            assertEquals("fail requested", e.getMessage());
        }
    }

    @Test
    void gateDenialStopsTheCallBeforeTheHandler() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        start((context, method, request) -> {
            asked.incrementAndGet();
            throw RpcException.permissionDenied(method.requestTypeName() + " is blocked by policy");
        }, ServerOptions.DEFAULTS);
        try (TtrpcClient client = client()) {
            RpcException e = assertThrows(RpcException.class, () -> client.call(ECHO, "Sleep",
                    SleepRequest.newBuilder().setMillis(10).build(), Empty.parser()));
            assertEquals(Code.PERMISSION_DENIED, e.code());
            assertTrue(e.getMessage().contains("SleepRequest"), e.getMessage());
            // the gate runs for declared-but-unimplemented methods too
            RpcException unbound = assertThrows(RpcException.class,
                    () -> client.call(ECHO, "Unbound", EchoMessage.getDefaultInstance(), EchoMessage.parser()));
            assertEquals(Code.PERMISSION_DENIED, unbound.code());
        }
        assertEquals(2, asked.get());
        assertEquals(0, echo.completedSleeps.get());
    }

    @Test
    void aRedactingGateReachesOnlyHandlersBoundAsRedactable() throws Exception {
        // Echo is bound redactable and answers empty when redacted; Metadata is not, so a REDACT
        // verdict for it is refused rather than handed to a handler that would return its data.
        var binding = org.cvmagent.rpc.ServiceBinding.of(org.cvmagent.proto.test.EchoGrpc.getServiceDescriptor())
                .redactable(org.cvmagent.proto.test.EchoGrpc.getEchoMethod(),
                        (c, r) -> c.redacted() ? EchoMessage.getDefaultInstance() : r)
                .unary(org.cvmagent.proto.test.EchoGrpc.getMetadataMethod(),
                        (c, r) -> MetadataResponse.newBuilder().setJson("secret").build())
                .build();
        server = new TtrpcServer(new Dispatcher(new ServiceRegistry(List.of(binding)),
                (context, method, request) -> CallGate.Verdict.REDACT), ServerOptions.DEFAULTS);
        server.serve(listener);
        try (TtrpcClient client = client()) {
            assertEquals(EchoMessage.getDefaultInstance(),
                    client.call(ECHO, "Echo", EchoService.message(5), EchoMessage.parser()));
            RpcException refused = assertThrows(RpcException.class,
                    () -> client.call(ECHO, "Metadata", EchoMessage.getDefaultInstance(), MetadataResponse.parser()));
            assertEquals(Code.PERMISSION_DENIED, refused.code());
        }
    }

    @Test
    void slowCallDoesNotBlockOthersOnTheSameConnection() throws Exception {
        start();
        try (TtrpcClient client = client()) {
            CompletableFuture<Empty> slow = CompletableFuture.supplyAsync(() -> {
                try {
                    return client.call(ECHO, "Sleep", SleepRequest.newBuilder().setMillis(3000).build(), Empty.parser());
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            long start = System.nanoTime();
            for (int i = 0; i < 20; i++) {
                client.call(ECHO, "Echo", EchoService.message(10), EchoMessage.parser());
            }
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2), "echo waited for sleep");
            assertFalse(slow.isDone());
            slow.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void deadlineExceededInterruptsTheHandler() throws Exception {
        start();
        try (TtrpcClient client = client()) {
            Connection raw = listener.connect();
            FrameWriter writer = new FrameWriter(raw.output());
            FrameReader reader = new FrameReader(raw.input(), Frame.DEFAULT_MAX_PAYLOAD);
            Request request = Request.newBuilder().setService(ECHO).setMethod("Sleep")
                    .setPayload(SleepRequest.newBuilder().setMillis(10_000).build().toByteString())
                    .setTimeoutNano(Duration.ofMillis(200).toNanos()).build();
            long start = System.nanoTime();
            writer.write(new Frame(1, Frame.TYPE_REQUEST, (byte) 0, request.toByteArray()));
            Response response = Response.parseFrom(reader.read().payload());
            assertEquals(Code.DEADLINE_EXCEEDED.value(), response.getStatus().getCode());
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
            waitFor(() -> echo.interruptedSleeps.get() == 1);
            // the connection goes on
            assertEquals(EchoService.message(5), client.call(ECHO, "Echo", EchoService.message(5), EchoMessage.parser()));
            raw.close();
        }
    }

    @Test
    void clientTimeoutIsSentAndEnforced() throws Exception {
        start();
        try (TtrpcClient client = client()) {
            RpcException e = assertThrows(RpcException.class, () -> client.call(ECHO, "Sleep",
                    SleepRequest.newBuilder().setMillis(5000).build(), Empty.parser(), Duration.ofMillis(100), Map.of()));
            assertEquals(Code.DEADLINE_EXCEEDED, e.code());
            waitFor(() -> echo.interruptedSleeps.get() == 1);
        }
    }

    @Test
    void oversizedFrameGetsResourceExhaustedAndConnectionStaysUsable() throws Exception {
        start();
        Connection raw = listener.connect();
        FrameWriter writer = new FrameWriter(raw.output());
        FrameReader reader = new FrameReader(raw.input(), 16 << 20);
        byte[] huge = new byte[Frame.DEFAULT_MAX_PAYLOAD + 1];
        writer.write(new Frame(1, Frame.TYPE_REQUEST, (byte) 0, huge));
        Frame answer = reader.read();
        assertEquals(1, answer.streamId());
        assertEquals(Code.RESOURCE_EXHAUSTED.value(), Response.parseFrom(answer.payload()).getStatus().getCode());
        Request echoRequest = Request.newBuilder().setService(ECHO).setMethod("Echo")
                .setPayload(EchoService.message(3).toByteString()).build();
        writer.write(new Frame(3, Frame.TYPE_REQUEST, (byte) 0, echoRequest.toByteArray()));
        Frame next = reader.read();
        assertEquals(3, next.streamId());
        assertEquals(EchoService.message(3).toByteString(), Response.parseFrom(next.payload()).getPayload());
        raw.close();
    }

    @Test
    void oversizedRequestIsRefusedByTheClient() throws Exception {
        start(CallGate.ALLOW_ALL, new ServerOptions(1024, 16, 16));
        try (TtrpcClient client = new TtrpcClient(listener.connect(), 1024)) {
            RpcException e = assertThrows(RpcException.class,
                    () -> client.call(ECHO, "Echo", EchoService.message(2000), EchoMessage.parser()));
            assertEquals(Code.RESOURCE_EXHAUSTED, e.code());
        }
    }

    @Test
    void oversizedResponseBecomesResourceExhausted() throws Exception {
        var doubling = org.cvmagent.rpc.ServiceBinding.of(org.cvmagent.proto.test.EchoGrpc.getServiceDescriptor())
                .unary(org.cvmagent.proto.test.EchoGrpc.getEchoMethod(), (c, r) ->
                        EchoMessage.newBuilder().setPayload(r.getPayload().concat(r.getPayload())).build())
                .build();
        server = new TtrpcServer(new Dispatcher(new ServiceRegistry(List.of(doubling)), CallGate.ALLOW_ALL),
                new ServerOptions(1024, 16, 16));
        server.serve(listener);
        try (TtrpcClient client = new TtrpcClient(listener.connect(), 1024)) {
            assertEquals(200, client.call(ECHO, "Echo", EchoService.message(100), EchoMessage.parser())
                    .getPayload().size());
            RpcException e = assertThrows(RpcException.class,
                    () -> client.call(ECHO, "Echo", EchoService.message(900), EchoMessage.parser()));
            assertEquals(Code.RESOURCE_EXHAUSTED, e.code());
            assertTrue(e.getMessage().contains("response"), e.getMessage());
        }
    }

    @Test
    void streamIdRulesAreEnforced() throws Exception {
        start();
        Connection raw = listener.connect();
        FrameWriter writer = new FrameWriter(raw.output());
        FrameReader reader = new FrameReader(raw.input(), Frame.DEFAULT_MAX_PAYLOAD);
        byte[] echoRequest = Request.newBuilder().setService(ECHO).setMethod("Echo").build().toByteArray();
        writer.write(new Frame(2, Frame.TYPE_REQUEST, (byte) 0, echoRequest));
        assertEquals(Code.INVALID_ARGUMENT.value(), Response.parseFrom(reader.read().payload()).getStatus().getCode());
        writer.write(new Frame(5, Frame.TYPE_REQUEST, (byte) 0, echoRequest));
        assertEquals(0, Response.parseFrom(reader.read().payload()).getStatus().getCode());
        // out of order is accepted (ttrpc-rust clients do that under load)
        writer.write(new Frame(3, Frame.TYPE_REQUEST, (byte) 0, echoRequest));
        assertEquals(0, Response.parseFrom(reader.read().payload()).getStatus().getCode());
        // an id still in flight is not
        byte[] sleep = Request.newBuilder().setService(ECHO).setMethod("Sleep")
                .setPayload(SleepRequest.newBuilder().setMillis(1000).build().toByteString()).build().toByteArray();
        writer.write(new Frame(7, Frame.TYPE_REQUEST, (byte) 0, sleep));
        writer.write(new Frame(7, Frame.TYPE_REQUEST, (byte) 0, echoRequest));
        Frame reused = reader.read();
        assertEquals(7, reused.streamId());
        Response refusal = Response.parseFrom(reused.payload());
        assertEquals(Code.INVALID_ARGUMENT.value(), refusal.getStatus().getCode());
        assertTrue(refusal.getStatus().getMessage().contains("already in use"));
        assertEquals(0, Response.parseFrom(reader.read().payload()).getStatus().getCode(), "the sleep ends well");
        raw.close();
    }

    @Test
    void malformedEnvelopeAndPayloadAreInvalidArgument() throws Exception {
        start();
        Connection raw = listener.connect();
        FrameWriter writer = new FrameWriter(raw.output());
        FrameReader reader = new FrameReader(raw.input(), Frame.DEFAULT_MAX_PAYLOAD);
        writer.write(new Frame(1, Frame.TYPE_REQUEST, (byte) 0, new byte[] {(byte) 0xff, (byte) 0xff, 0x01}));
        assertEquals(Code.INVALID_ARGUMENT.value(), Response.parseFrom(reader.read().payload()).getStatus().getCode());
        Request badPayload = Request.newBuilder().setService(ECHO).setMethod("Echo")
                .setPayload(ByteString.copyFrom(new byte[] {0x0a, 0x7f})).build();
        writer.write(new Frame(3, Frame.TYPE_REQUEST, (byte) 0, badPayload.toByteArray()));
        Response response = Response.parseFrom(reader.read().payload());
        assertEquals(Code.INVALID_ARGUMENT.value(), response.getStatus().getCode());
        assertTrue(response.getStatus().getMessage().contains("EchoMessage"), response.getStatus().getMessage());
        raw.close();
    }

    @Test
    void metadataReachesTheHandler() throws Exception {
        start();
        try (TtrpcClient client = client()) {
            MetadataResponse response = client.call(ECHO, "Metadata", EchoMessage.getDefaultInstance(),
                    MetadataResponse.parser(), Duration.ofSeconds(5), Map.of("x-test", "yes"));
            assertEquals("{x-test=[yes]}", response.getJson());
        }
    }

    @Test
    void runtimeFailureInHandlerIsInternalAndConnectionSurvives() throws Exception {
        var binding = org.cvmagent.rpc.ServiceBinding.of(org.cvmagent.proto.test.EchoGrpc.getServiceDescriptor())
                .unary(org.cvmagent.proto.test.EchoGrpc.getEchoMethod(), (c, r) -> {
                    if (r.getPayload().isEmpty()) {
                        throw new IllegalStateException("boom");
                    }
                    return r;
                }).build();
        server = new TtrpcServer(new Dispatcher(new ServiceRegistry(List.of(binding)), CallGate.ALLOW_ALL),
                ServerOptions.DEFAULTS);
        server.serve(listener);
        try (TtrpcClient client = client()) {
            RpcException e = assertThrows(RpcException.class,
                    () -> client.call(ECHO, "Echo", EchoMessage.getDefaultInstance(), EchoMessage.parser()));
            assertEquals(Code.INTERNAL, e.code());
            assertTrue(e.getMessage().contains("boom"));
            assertEquals(EchoService.message(2), client.call(ECHO, "Echo", EchoService.message(2), EchoMessage.parser()));
        }
    }

    @Test
    void anErrorInAHandlerIsInternalAndTheConnectionGoesOn() throws Exception {
        // Errors, not exceptions: a class missing from the class path, and a real stack overflow
        // (deep recursion on the handler's virtual thread), each answered INTERNAL on its own call.
        var binding = org.cvmagent.rpc.ServiceBinding.of(org.cvmagent.proto.test.EchoGrpc.getServiceDescriptor())
                .unary(org.cvmagent.proto.test.EchoGrpc.getEchoMethod(), (c, r) -> switch (r.getPayload().size()) {
                    case 0 -> throw new NoClassDefFoundError("org/example/Missing");
                    case 1 -> EchoService.message(recurse(r.getPayload().size()));
                    default -> r;
                }).build();
        server = new TtrpcServer(new Dispatcher(new ServiceRegistry(List.of(binding)), CallGate.ALLOW_ALL),
                ServerOptions.DEFAULTS);
        server.serve(listener);
        try (TtrpcClient client = client()) {
            RpcException missing = assertThrows(RpcException.class,
                    () -> client.call(ECHO, "Echo", EchoMessage.getDefaultInstance(), EchoMessage.parser()));
            assertEquals(Code.INTERNAL, missing.code());
            assertTrue(missing.getMessage().contains("NoClassDefFoundError"), missing.getMessage());
            assertEquals(EchoService.message(2), client.call(ECHO, "Echo", EchoService.message(2), EchoMessage.parser()));

            RpcException overflow = assertThrows(RpcException.class,
                    () -> client.call(ECHO, "Echo", EchoService.message(1), EchoMessage.parser()));
            assertEquals(Code.INTERNAL, overflow.code());
            assertTrue(overflow.getMessage().contains("StackOverflowError"), overflow.getMessage());
            assertEquals(EchoService.message(3), client.call(ECHO, "Echo", EchoService.message(3), EchoMessage.parser()));
        }
        waitFor(() -> server.callsInFlight() == 0); // every call was answered and forgotten
    }

    /** Never returns: recurses until the stack overflows. */
    private static int recurse(int depth) {
        return recurse(depth + 1) + 1;
    }

    @Test
    void tooManyCallsInFlightAreRefused() throws Exception {
        start(CallGate.ALLOW_ALL, new ServerOptions(Frame.DEFAULT_MAX_PAYLOAD, 2, 16));
        try (TtrpcClient client = client()) {
            List<CompletableFuture<Empty>> sleeps = List.of(sleepAsync(client, 1500), sleepAsync(client, 1500));
            waitFor(() -> server.callsInFlight() == 2);
            RpcException e = assertThrows(RpcException.class,
                    () -> client.call(ECHO, "Echo", EchoMessage.getDefaultInstance(), EchoMessage.parser()));
            assertEquals(Code.RESOURCE_EXHAUSTED, e.code());
            for (var sleep : sleeps) {
                sleep.get(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void garbageClosesOnlyItsOwnConnection() throws Exception {
        start();
        try (TtrpcClient good = client()) {
            Connection bad = listener.connect();
            bad.output().write(new byte[] {0, 0, 0, 3, 0, 0, 0, 1, 1, 0, 1}); // frame cut short
            bad.output().close();
            waitFor(() -> server.connectionCount() == 1);
            assertEquals(EchoService.message(9), good.call(ECHO, "Echo", EchoService.message(9), EchoMessage.parser()));
        }
    }

    @Test
    void shutdownDrainsCallsInFlight() throws Exception {
        start();
        TtrpcClient client = client();
        CompletableFuture<Empty> sleep = sleepAsync(client, 500);
        waitFor(() -> server.callsInFlight() == 1);
        server.shutdown(Duration.ofSeconds(10));
        assertEquals(Empty.getDefaultInstance(), sleep.get(1, TimeUnit.SECONDS));
        assertEquals(1, echo.completedSleeps.get());
        assertEquals(0, server.connectionCount());
        assertThrows(IOException.class,
                () -> client.call(ECHO, "Echo", EchoMessage.getDefaultInstance(), EchoMessage.parser()));
        assertThrows(IOException.class, listener::connect);
    }

    @Test
    void shutdownGraceEndsLongCalls() throws Exception {
        start();
        TtrpcClient client = client();
        CompletableFuture<Empty> sleep = sleepAsync(client, 30_000);
        waitFor(() -> server.callsInFlight() == 1);
        long start = System.nanoTime();
        server.shutdown(Duration.ofMillis(200));
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
        waitFor(() -> echo.interruptedSleeps.get() == 1);
        assertThrows(Exception.class, () -> sleep.get(5, TimeUnit.SECONDS));
    }

    @Test
    void acceptFailuresAreRetriedNotFatal() throws Exception {
        AtomicInteger failuresLeft = new AtomicInteger(3);
        org.cvmagent.transport.Listener flaky = new org.cvmagent.transport.Listener() {
            @Override
            public Connection accept() throws IOException {
                if (failuresLeft.getAndDecrement() > 0) {
                    throw new IOException("device not there yet");
                }
                return listener.accept();
            }

            @Override
            public String address() {
                return "flaky://";
            }

            @Override
            public boolean isClosed() {
                return listener.isClosed();
            }

            @Override
            public void close() throws IOException {
                listener.close();
            }
        };
        server = new TtrpcServer(new Dispatcher(new ServiceRegistry(List.of(echo.binding())), CallGate.ALLOW_ALL),
                ServerOptions.DEFAULTS);
        server.serve(flaky);
        try (TtrpcClient client = client()) {
            assertEquals(EchoService.message(4), client.call(ECHO, "Echo", EchoService.message(4), EchoMessage.parser()));
        }
        assertTrue(failuresLeft.get() < 0);
    }

    @Test
    void readerReturnsNullAtCleanEnd() throws Exception {
        start();
        Connection raw = listener.connect();
        FrameReader reader = new FrameReader(raw.input(), 100);
        server.close();
        assertNull(reader.read());
    }

    private static CompletableFuture<Empty> sleepAsync(TtrpcClient client, long millis) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return client.call(ECHO, "Sleep", SleepRequest.newBuilder().setMillis(millis).build(), Empty.parser());
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("condition not met within 10 s");
            }
            Thread.sleep(5);
        }
    }
}
