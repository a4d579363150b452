package org.cvmagent.agent;

import com.google.protobuf.ByteString;
import io.grpc.Status.Code;
import org.cvmagent.proto.agent.CheckRequest;
import org.cvmagent.proto.agent.GetMetricsRequest;
import org.cvmagent.proto.agent.HealthCheckResponse;
import org.cvmagent.proto.agent.Metrics;
import org.cvmagent.proto.agent.WriteStreamRequest;
import org.cvmagent.proto.agent.WriteStreamResponse;
import org.cvmagent.proto.ttrpc.Request;
import org.cvmagent.proto.ttrpc.Response;
import org.cvmagent.rpc.RpcException;
import org.cvmagent.transport.AgentAddress;
import org.cvmagent.transport.Connection;
import org.cvmagent.transport.Transports;
import org.cvmagent.ttrpc.Frame;
import org.cvmagent.ttrpc.FrameReader;
import org.cvmagent.ttrpc.FrameWriter;
import org.cvmagent.ttrpc.TtrpcClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The review's reproduction against a real agent process with the guest's heap (-Xmx512m, what a
 * 2 GiB guest gives the agent) and a policy loaded, so every WriteStdin's 4 MiB of data would
 * become a policy input: eight concurrent 4 MiB WriteStdin calls, then 64 connections each
 * pipelining 4 MiB frames. Every call must be answered (the handler's own error, or
 * RESOURCE_EXHAUSTED from the budget), never dropped; the agent must not run out of memory, must
 * still answer Health/Check afterwards, and its heap must come back to where it started.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class MemoryBudgetProcessTest {

    private static final Transports TRANSPORTS = new Transports();
    private static final int CONCURRENT_WRITES = 8;
    private static final int CONNECTIONS = 64;
    private static final int FRAMES_PER_CONNECTION = 4;
    /** A WriteStdin whose frame is just under ttRPC's 4 MiB limit. */
    private static final int DATA_BYTES = (4 << 20) - 1024;
    private static final Pattern HEAP_USED = Pattern.compile("(?m)^kata_agent_jvm_heap_used_bytes (\\S+)$");

    @TempDir
    Path dir;

    @Test
    void everyLargeCallIsAnsweredAndTheHeapComesBack() throws Exception {
        Path socket = dir.resolve("agent.sock");
        Path policy = dir.resolve("allow-all.rego");
        try (InputStream in = getClass().getResourceAsStream("/policies/allow-all.rego")) {
            Files.write(policy, in.readAllBytes());
        }
        Path cmdline = dir.resolve("cmdline");
        Files.writeString(cmdline, "console=hvc0\n");
        Path log = dir.resolve("agent.log");
        ProcessBuilder builder = new ProcessBuilder(java("java"), "-Xmx512m", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "--cmdline", cmdline.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("KATA_AGENT_SERVER_ADDR", "unix://" + socket);
        builder.environment().put("KATA_AGENT_POLICY_FILE", policy.toString());
        builder.environment().put("CVM_AGENT_SANDBOX_ROOT", dir.resolve("kata").toString());
        builder.environment().put("CVM_AGENT_STATE_DIR", dir.resolve("state").toString());
        Process agent = builder.start();
        AgentAddress address = AgentAddress.parse("unix://" + socket);
        try {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.exists(socket) && System.nanoTime() < end && agent.isAlive()) {
                Thread.sleep(20);
            }
            assertTrue(Files.exists(socket), "agent did not listen: " + Files.readString(log));
            awaitServing(address, agent, log);
            long baseline = heapAfterGc(agent, address);

            Map<Code, AtomicInteger> outcomes = new ConcurrentHashMap<>();
            concurrentWrites(address, outcomes);
            int answered = pipelinedConnections(address, outcomes);

            assertEquals(CONNECTIONS * FRAMES_PER_CONNECTION, answered, "every pipelined call answered: " + outcomes);
            int total = outcomes.values().stream().mapToInt(AtomicInteger::get).sum();
            assertEquals(CONCURRENT_WRITES + CONNECTIONS * FRAMES_PER_CONNECTION, total, outcomes.toString());
            assertTrue(outcomes.containsKey(Code.RESOURCE_EXHAUSTED), "the budget refused some: " + outcomes);
            assertFalse(outcomes.containsKey(Code.INTERNAL), "no call failed inside the agent: " + outcomes);
            System.out.println("outcomes: " + outcomes);

            assertTrue(agent.isAlive(), "agent died: " + tail(log));
            assertServing(address);
            long after = heapAfterGc(agent, address);
            System.out.println("heap after GC: " + baseline + " bytes before, " + after + " after");
            assertTrue(after < baseline + (48L << 20), "heap back near baseline: " + baseline + " before, "
                    + after + " after");
            assertFalse(Files.readString(log).contains("OutOfMemoryError"), tail(log));
        } finally {
            agent.destroy();
            assertTrue(agent.waitFor(30, TimeUnit.SECONDS), "agent did not stop on SIGTERM");
        }
    }

    /** Eight clients, one 4 MiB WriteStdin each, all at once. */
    private static void concurrentWrites(AgentAddress address, Map<Code, AtomicInteger> outcomes) throws Exception {
        WriteStreamRequest write = WriteStreamRequest.newBuilder().setContainerId("c1").setExecId("e1")
                .setData(ByteString.copyFrom(new byte[DATA_BYTES])).build();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Code>> calls = new ArrayList<>();
            for (int i = 0; i < CONCURRENT_WRITES; i++) {
                calls.add(threads.submit(() -> {
                    try (TtrpcClient client = new TtrpcClient(TRANSPORTS.dial(address, java.time.Duration.ofSeconds(30)))) {
                        client.call("grpc.AgentService", "WriteStdin", write, WriteStreamResponse.parser());
                        return Code.OK;
                    } catch (RpcException e) {
                        return e.code();
                    }
                }));
            }
            for (Future<Code> call : calls) {
                outcomes.computeIfAbsent(call.get(120, TimeUnit.SECONDS), c -> new AtomicInteger()).incrementAndGet();
            }
        }
    }

    /**
     * 64 connections, each writing its 4 MiB frames back to back without waiting, while a reader
     * per connection collects the answers; returns how many answers came.
     */
    private static int pipelinedConnections(AgentAddress address, Map<Code, AtomicInteger> outcomes) throws Exception {
        byte[] payload = Request.newBuilder().setService("grpc.AgentService").setMethod("WriteStdin")
                .setPayload(WriteStreamRequest.newBuilder().setContainerId("c1").setExecId("e1")
                        .setData(ByteString.copyFrom(new byte[DATA_BYTES])).build().toByteString())
                .build().toByteArray();
        AtomicInteger answered = new AtomicInteger();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> work = new ArrayList<>();
            for (int c = 0; c < CONNECTIONS; c++) {
                Connection connection = TRANSPORTS.dial(address, java.time.Duration.ofSeconds(30));
                work.add(threads.submit(() -> {
                    FrameWriter writer = new FrameWriter(connection.output());
                    for (int f = 0; f < FRAMES_PER_CONNECTION; f++) {
                        writer.write(new Frame(2 * f + 1, Frame.TYPE_REQUEST, (byte) 0, payload));
                    }
                    return null;
                }));
                work.add(threads.submit(() -> {
                    try (connection) {
                        FrameReader reader = new FrameReader(connection.input(), Frame.DEFAULT_MAX_PAYLOAD);
                        for (int f = 0; f < FRAMES_PER_CONNECTION; f++) {
                            Frame frame = reader.read();
                            if (frame == null) {
                                return null;
                            }
                            Code code = Code.values()[Response.parseFrom(frame.payload()).getStatus().getCode()];
                            outcomes.computeIfAbsent(code, k -> new AtomicInteger()).incrementAndGet();
                            answered.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> w : work) {
                w.get(240, TimeUnit.SECONDS);
            }
        }
        return answered.get();
    }

    /** The socket file appears at bind, a moment before the agent listens on it. */
    private static void awaitServing(AgentAddress address, Process agent, Path log) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                assertServing(address);
                return;
            } catch (java.io.IOException e) {
                if (System.nanoTime() > end || !agent.isAlive()) {
                    throw new AssertionError("agent not serving: " + tail(log), e);
                }
                Thread.sleep(50);
            }
        }
    }

    private static void assertServing(AgentAddress address) throws Exception {
        try (TtrpcClient client = new TtrpcClient(TRANSPORTS.dial(address, java.time.Duration.ofSeconds(30)))) {
            HealthCheckResponse health = client.call("grpc.Health", "Check", CheckRequest.getDefaultInstance(),
                    HealthCheckResponse.parser());
            assertEquals(HealthCheckResponse.ServingStatus.SERVING, health.getStatus());
        }
    }

    /** The agent's heap in use right after a full collection, as its GetMetrics reports it. */
    private static long heapAfterGc(Process agent, AgentAddress address) throws Exception {
        Process gc = new ProcessBuilder(java("jcmd"), Long.toString(agent.pid()), "GC.run")
                .redirectErrorStream(true).start();
        String output = new String(gc.getInputStream().readAllBytes());
        assertTrue(gc.waitFor(60, TimeUnit.SECONDS) && gc.exitValue() == 0, "jcmd GC.run: " + output);
        try (TtrpcClient client = new TtrpcClient(TRANSPORTS.dial(address, java.time.Duration.ofSeconds(30)))) {
            String metrics = client.call("grpc.AgentService", "GetMetrics", GetMetricsRequest.getDefaultInstance(),
                    Metrics.parser()).getMetrics();
            Matcher m = HEAP_USED.matcher(metrics);
            assertTrue(m.find(), metrics);
            return (long) Double.parseDouble(m.group(1));
        }
    }

    private static String tail(Path log) throws Exception {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    private static String java(String tool) {
        return Path.of(System.getProperty("java.home"), "bin", tool).toString();
    }
}
