package org.cvmagent.agent.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import org.cvmagent.proto.agent.CreateContainerRequest;
import org.cvmagent.proto.agent.ExecProcessRequest;
import org.cvmagent.proto.agent.Mount;
import org.cvmagent.proto.agent.Process;
import org.cvmagent.proto.agent.Spec;
import org.cvmagent.proto.agent.Storage;
import org.cvmagent.proto.agent.WriteStreamRequest;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The estimate the gate reserves before building a policy input must not be below what building
 * it and handing it to the Rego engine allocates (the engine copies every input into its own
 * values), and must stay within a small factor of it, or the budget would refuse honest requests.
 */
class PolicyInputCostTest {

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private final RegoEvaluator allowAll = compileAllowAll();

    private static RegoEvaluator compileAllowAll() {
        try {
            String source = new String(PolicyInputCostTest.class.getResourceAsStream("/policies/allow-all.rego")
                    .readAllBytes(), StandardCharsets.UTF_8);
            return RegoCompilers.installed().orElseThrow().compile(source);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void bytesFieldOfWriteStdin() throws Exception {
        byte[] data = new byte[1 << 20];
        new Random(1).nextBytes(data);
        assertBounds(WriteStreamRequest.newBuilder().setContainerId("c").setExecId("e")
                .setData(ByteString.copyFrom(data)).build(), "WriteStreamRequest");
    }

    @Test
    void manyEmptySubMessages() throws Exception {
        CreateContainerRequest.Builder b = CreateContainerRequest.newBuilder().setContainerId("c");
        for (int i = 0; i < 20_000; i++) {
            b.addStorages(Storage.getDefaultInstance());
        }
        Spec.Builder spec = Spec.newBuilder().setProcess(Process.getDefaultInstance());
        for (int i = 0; i < 5_000; i++) {
            spec.addMounts(Mount.newBuilder().setDestination("/m" + i).addOptions("ro"));
            spec.putAnnotations("key-" + i, "value-" + i);
        }
        assertBounds(b.setOCI(spec).build(), "CreateContainerRequest");
    }

    @Test
    void manyStrings() throws Exception {
        Process.Builder process = Process.newBuilder();
        for (int i = 0; i < 50_000; i++) {
            process.addArgs("argument-" + i);
        }
        assertBounds(ExecProcessRequest.newBuilder().setContainerId("c").setProcess(process).build(),
                "ExecProcessRequest");
    }

    private void assertBounds(Message request, String type) throws Exception {
        // warm up: class loading and JIT allocate on the first run only
        buildAndEvaluate(request, type);
        long estimate = PolicyInputCost.of(request);
        long allocated = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            long before = THREADS.getCurrentThreadAllocatedBytes();
            buildAndEvaluate(request, type);
            allocated = Math.min(allocated, THREADS.getCurrentThreadAllocatedBytes() - before);
        }
        String figures = type + ": estimate " + estimate + " bytes, allocated " + allocated;
        System.out.println(figures);
        assertTrue(estimate >= allocated, "estimate below what was allocated: " + figures);
        assertTrue(estimate <= 8 * allocated, "estimate far above what was allocated: " + figures);
    }

    private void buildAndEvaluate(Message request, String type) throws Exception {
        JsonNode input = PolicyInput.forPolicy(request, CopyFileInput.Shape.KATA);
        JsonNode data = JsonNodeFactory.instance.objectNode().set("pstate", JsonNodeFactory.instance.objectNode());
        RegoEvaluator.Evaluation e = allowAll.query("data.agent_policy." + type, input, data, Duration.ofSeconds(30));
        assertTrue(e.value().isPresent(), type + " is allowed by allow-all");
    }
}
