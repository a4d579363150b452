package org.cvmagent.ttrpc;

import io.grpc.Status.Code;
import org.cvmagent.proto.test.EchoMessage;
import org.cvmagent.proto.ttrpc.Request;
import org.cvmagent.proto.ttrpc.Response;
import org.cvmagent.rpc.CallGate;
import org.cvmagent.rpc.Dispatcher;
import org.cvmagent.rpc.MemoryBudget;
import org.cvmagent.rpc.RpcException;
import org.cvmagent.rpc.ServiceRegistry;
import org.cvmagent.testing.EchoService;
import org.cvmagent.testing.MemoryListener;
import org.cvmagent.transport.Connection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server's memory budget: calls that would take it over are answered RESOURCE_EXHAUSTED (never
 * left unanswered), the connection goes on, and every byte comes back once the calls are done.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MemoryBudgetServerTest {

    private static final String ECHO = "cvmagent.test.Echo";
    private static final int MIB = 1 << 20;

    private final EchoService echo = new EchoService();
    private final MemoryListener listener = new MemoryListener();
    private TtrpcServer server;

    private MemoryBudget start(long budgetBytes, CallGate gate) {
        MemoryBudget budget = new MemoryBudget(budgetBytes);
        server = new TtrpcServer(new Dispatcher(new ServiceRegistry(List.of(echo.binding())), gate),
                ServerOptions.DEFAULTS, budget);
        server.serve(listener);
        return budget;
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void callsOverTheBudgetAreRefusedWhileAdmittedOnesFinish() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        // The gate holds admitted calls (and with them their reservations) until released.
        MemoryBudget budget = start(12L * MIB, (context, method, request) -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return CallGate.Verdict.ALLOW;
        });
        EchoMessage big = EchoService.message(MIB);
        List<Future<Code>> calls = new ArrayList<>();
        try (TtrpcClient client = new TtrpcClient(listener.connect());
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 16; i++) {
                calls.add(threads.submit(() -> outcome(client, big)));
            }
            // each held call costs its frame, its envelope and its message: about 3 MiB
            waitFor(() -> budget.held() > 6L * MIB && refusedSoFar(calls) > 0);
            assertTrue(budget.held() <= budget.limit());
            release.countDown();
            int ok = 0;
            int refused = 0;
            for (Future<Code> call : calls) {
                Code code = call.get(30, TimeUnit.SECONDS);
                assertTrue(code == Code.OK || code == Code.RESOURCE_EXHAUSTED, "unexpected " + code);
                ok += code == Code.OK ? 1 : 0;
                refused += code == Code.RESOURCE_EXHAUSTED ? 1 : 0;
            }
            assertTrue(ok >= 2 && refused >= 1, ok + " answered, " + refused + " refused");
            // the same connection still serves
            assertEquals(big, client.call(ECHO, "Echo", big, EchoMessage.parser()));
        }
        waitFor(() -> budget.held() == 0);
    }

    @Test
    void aFrameTheBudgetCannotHoldIsSkippedAndAnswered() throws Exception {
        MemoryBudget budget = start(MIB, CallGate.ALLOW_ALL);
        Connection raw = listener.connect();
        FrameWriter writer = new FrameWriter(raw.output());
        FrameReader reader = new FrameReader(raw.input(), 16 << 20);
        Request huge = request(EchoService.message(2 * MIB));
        writer.write(new Frame(1, Frame.TYPE_REQUEST, (byte) 0, huge.toByteArray()));
        Response refused = Response.parseFrom(reader.read().payload());
        assertEquals(Code.RESOURCE_EXHAUSTED.value(), refused.getStatus().getCode());
        assertTrue(refused.getStatus().getMessage().contains("budget"), refused.getStatus().getMessage());
        Request small = request(EchoService.message(100));
        writer.write(new Frame(3, Frame.TYPE_REQUEST, (byte) 0, small.toByteArray()));
        Frame next = reader.read();
        assertEquals(3, next.streamId());
        assertEquals(EchoService.message(100).toByteString(), Response.parseFrom(next.payload()).getPayload());
        raw.close();
        waitFor(() -> budget.held() == 0);
    }

    @Test
    void aGateThatCannotAffordItsInputRefusesWithResourceExhausted() throws Exception {
        MemoryBudget budget = start(4L * MIB, (context, method, request) -> {
            context.memory().grow(64L * MIB, "a policy input");
            return CallGate.Verdict.ALLOW;
        });
        try (TtrpcClient client = new TtrpcClient(listener.connect())) {
            RpcException e = org.junit.jupiter.api.Assertions.assertThrows(RpcException.class,
                    () -> client.call(ECHO, "Echo", EchoService.message(10), EchoMessage.parser()));
            assertEquals(Code.RESOURCE_EXHAUSTED, e.code());
            assertTrue(e.getMessage().contains("a policy input"), e.getMessage());
        }
        waitFor(() -> budget.held() == 0);
    }

    private static Request request(EchoMessage message) {
        return Request.newBuilder().setService(ECHO).setMethod("Echo").setPayload(message.toByteString()).build();
    }

    private static Code outcome(TtrpcClient client, EchoMessage message) throws Exception {
        try {
            client.call(ECHO, "Echo", message, EchoMessage.parser());
            return Code.OK;
        } catch (RpcException e) {
            return e.code();
        }
    }

    private static long refusedSoFar(List<Future<Code>> calls) {
        return calls.stream().filter(Future::isDone).count();
    }

    private static void waitFor(BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("condition not reached in time");
            }
            Thread.sleep(10);
        }
    }
}
