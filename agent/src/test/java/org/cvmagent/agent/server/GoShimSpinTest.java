package org.cvmagent.agent.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.Empty;
import org.cvmagent.agent.sandbox.GoShimPodPlan;
import org.cvmagent.agent.sandbox.GoShimPodReport;
import org.cvmagent.agent.sandbox.PodRequests;
import org.cvmagent.proto.agent.AgentServiceGrpc;
import org.cvmagent.proto.agent.HealthCheckResponse;
import org.cvmagent.proto.agent.HealthGrpc;
import org.cvmagent.proto.agent.ReadStreamResponse;
import org.cvmagent.rpc.CallGate;
import org.cvmagent.rpc.Dispatcher;
import org.cvmagent.rpc.ServiceBinding;
import org.cvmagent.rpc.ServiceRegistry;
import org.cvmagent.transport.Transports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Go shim-like client's spin check works: against an agent that ends a stream with empty
 * answers only (what an old runtime's copy would loop on for ever), its old-generation copy
 * fails after a few empty answers in a row, the client reports it, tears the pod down and exits
 * non-zero. Without this, GoShimPodTest's "no spinning" could pass whatever the agent answered.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class GoShimSpinTest {

    @TempDir
    Path dir;

    @Test
    void anOldShimsCopyFailsOnAnAgentAnsweringOnlyEmpty() throws Exception {
        Path socket = dir.resolve("agent.sock");
        AgentServer server = new AgentServer(new Dispatcher(new ServiceRegistry(List.of(health(), emptyOnlyAgent())),
                CallGate.ALLOW_ALL), new Transports());
        server.start("unix://" + socket, Optional.empty());
        try {
            Path plan = GoShimPodPlan.write(new PodRequests(dir.resolve("kata"), dir.resolve("host-share")),
                    dir.resolve("plan.json"), false);
            GoShimPodReport report = GoShimPodReport.run(socket, plan, GoShimPodReport.Generation.OLD, false);
            JsonNode json = report.json();
            assertEquals(false, json.path("passed").asBoolean(), report::toString);
            List<String> failures = new ArrayList<>();
            json.path("failures").forEach(f -> failures.add(f.asText()));
            assertTrue(failures.stream().anyMatch(f -> f.startsWith("read_stdout " + GoShimPodPlan.APP + ": an old runtime would spin")),
                    report::toString);
            int limit = json.path("max_empty_reads").asInt();
            for (JsonNode step : json.path("steps")) {
                if (step.path("step").asText().startsWith("read_")) {
                    assertEquals(limit + 1, step.path("response").path("max_consecutive_empty").asInt(), report::toString);
                }
            }
            // the copies failed, so no WaitProcess; the pod is still torn down
            List<String> steps = report.stepList();
            assertEquals(List.of("read_stdout " + GoShimPodPlan.APP, "read_stderr " + GoShimPodPlan.APP,
                    "remove_container " + GoShimPodPlan.APP, "remove_container " + GoShimPodPlan.PAUSE, "destroy_sandbox"),
                    steps.subList(steps.size() - 5, steps.size()), report::toString);
        } finally {
            server.shutdown(Duration.ofSeconds(5));
        }
    }

    private static ServiceBinding health() {
        return ServiceBinding.of(HealthGrpc.getServiceDescriptor())
                .unary(HealthGrpc.getCheckMethod(), (ctx, req) -> HealthCheckResponse.newBuilder()
                        .setStatus(HealthCheckResponse.ServingStatus.SERVING).build())
                .build();
    }

    /** Accepts the pod's calls and ends every stream with nothing but empty answers. */
    private static ServiceBinding emptyOnlyAgent() {
        Empty empty = Empty.getDefaultInstance();
        return ServiceBinding.of(AgentServiceGrpc.getServiceDescriptor())
                .unary(AgentServiceGrpc.getCreateSandboxMethod(), (ctx, req) -> empty)
                .unary(AgentServiceGrpc.getCreateContainerMethod(), (ctx, req) -> empty)
                .unary(AgentServiceGrpc.getStartContainerMethod(), (ctx, req) -> empty)
                .unary(AgentServiceGrpc.getReadStdoutMethod(), (ctx, req) -> ReadStreamResponse.getDefaultInstance())
                .unary(AgentServiceGrpc.getReadStderrMethod(), (ctx, req) -> ReadStreamResponse.getDefaultInstance())
                .unary(AgentServiceGrpc.getRemoveContainerMethod(), (ctx, req) -> empty)
                .unary(AgentServiceGrpc.getDestroySandboxMethod(), (ctx, req) -> empty)
                .build();
    }
}
