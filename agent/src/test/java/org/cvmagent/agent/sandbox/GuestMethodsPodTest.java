package org.cvmagent.agent.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status.Code;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.cvmagent.agent.policy.RegoCompilers;
import org.cvmagent.agent.policy.RegoPolicyEngine;
import org.cvmagent.agent.service.AgentServiceBinding;
import org.cvmagent.agent.service.AgentVersion;
import org.cvmagent.agent.service.GuestDetailsHandler;
import org.cvmagent.agent.service.GuestMemoryInfo;
import org.cvmagent.agent.service.SetPolicyHandler;
import org.cvmagent.proto.agent.AgentServiceGrpc;
import org.cvmagent.proto.agent.CreateContainerRequest;
import org.cvmagent.proto.agent.GetDiagnosticDataRequest;
import org.cvmagent.proto.agent.GetDiagnosticDataResponse;
import org.cvmagent.proto.agent.GetMetricsRequest;
import org.cvmagent.proto.agent.MemAgentMemcgConfig;
import org.cvmagent.proto.agent.Metrics;
import org.cvmagent.proto.agent.Mount;
import org.cvmagent.rpc.BoundMethod;
import org.cvmagent.rpc.RpcException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The guest methods through the agent over ttRPC, and the rule that no AgentService method is left unserved. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class GuestMethodsPodTest {
    @TempDir
    Path dir;
    private PodFixture fixture;

    @BeforeEach
    void startPod() throws Exception {
        fixture = new PodFixture(dir);
        fixture.pod.createSandbox(fixture.sandboxRequest("guest-pod"));
    }

    @AfterEach
    void stop() throws Exception {
        fixture.close();
    }

    @Test
    void everyAgentServiceMethodHasAHandler() {
        // as the agent assembles it: the Rego engine this build ships serves SetPolicy
        var setPolicy = new SetPolicyHandler(new RegoPolicyEngine(RegoCompilers.installed().orElseThrow()));
        var binding = new AgentServiceBinding(new GuestDetailsHandler(new GuestMemoryInfo(dir), AgentVersion.fromBuild(),
                false, List.of(), List.of()), Optional.of(fixture.host.handlers()), Optional.of(setPolicy)).binding();
        List<String> unserved = binding.methods().stream().filter(m -> m.handler().isEmpty()).map(BoundMethod::method)
                .toList();
        assertEquals(List.of(), unserved, "AgentService methods that would answer UNIMPLEMENTED");
        assertEquals(AgentServiceGrpc.getServiceDescriptor().getMethods().stream().map(m -> m.getBareMethodName())
                .sorted().toList(), binding.methods().stream().map(BoundMethod::method).sorted().toList());
    }

    @Test
    void metricsAndMemAgentOverTtrpc() throws Exception {
        Metrics m = (Metrics) fixture.connection.call(AgentServiceGrpc.getGetMetricsMethod(),
                GetMetricsRequest.getDefaultInstance(), Duration.ofSeconds(10));
        assertTrue(m.getMetrics().contains("\nkata_agent_total_rss "), m.getMetrics());
        RpcException e = assertThrows(RpcException.class, () -> fixture.connection.call(
                AgentServiceGrpc.getMemAgentMemcgSetMethod(), MemAgentMemcgConfig.getDefaultInstance(),
                Duration.ofSeconds(10)));
        assertEquals(Code.FAILED_PRECONDITION, e.code());
        assertTrue(e.getMessage().contains("mem-agent"), e.getMessage());
    }

    @Test
    void networkRequestsWithoutTheirListAreMalformed() {
        for (var call : List.<org.junit.jupiter.api.function.Executable>of(
                () -> fixture.connection.call(AgentServiceGrpc.getUpdateRoutesMethod(),
                        org.cvmagent.proto.agent.UpdateRoutesRequest.getDefaultInstance(), Duration.ofSeconds(10)),
                () -> fixture.connection.call(AgentServiceGrpc.getAddARPNeighborsMethod(),
                        org.cvmagent.proto.agent.AddARPNeighborsRequest.getDefaultInstance(), Duration.ofSeconds(10)),
                () -> fixture.connection.call(AgentServiceGrpc.getUpdateInterfaceMethod(),
                        org.cvmagent.proto.agent.UpdateInterfaceRequest.getDefaultInstance(), Duration.ofSeconds(10)))) {
            RpcException e = assertThrows(RpcException.class, call);
            assertEquals(Code.INVALID_ARGUMENT, e.code(), e.getMessage());
            assertTrue(e.getMessage().contains("is missing"), e.getMessage());
        }
    }

    @Test
    void terminationLogIsReadFromTheContainersMountUnderTheSandbox() throws Exception {
        Path log = Files.writeString(fixture.hostShare.resolve("app-termination-log"), "bye: exit 3\n");
        String guestLog = dir.resolve("kata/shared/containers/app-termination-log").toString();
        assertTrue(Files.exists(Path.of(guestLog)), "the shared directory shows the host share");
        CreateContainerRequest request = fixture.container("app", PodFixture.process(false, "sleep", "30"));
        CreateContainerRequest withLog = request.toBuilder().setOCI(request.getOCI().toBuilder()
                .putAnnotations("io.kubernetes.container.terminationMessagePath", "/dev/termination-log")
                .addMounts(Mount.newBuilder().setDestination("/dev/termination-log").setSource(guestLog)
                        .setType("bind").addOptions("rbind").addOptions("rw"))).build();
        fixture.pod.createContainer(withLog);
        GetDiagnosticDataResponse r = (GetDiagnosticDataResponse) fixture.connection.call(
                AgentServiceGrpc.getGetDiagnosticDataMethod(), GetDiagnosticDataRequest.newBuilder()
                        .setLogType("termination_log").setContainerId("app").build(), Duration.ofSeconds(10));
        assertEquals("bye: exit 3\n", r.getData());
        assertEquals(Code.INVALID_ARGUMENT, assertThrows(RpcException.class, () -> fixture.connection.call(
                AgentServiceGrpc.getGetDiagnosticDataMethod(), GetDiagnosticDataRequest.newBuilder()
                        .setLogType("kernel").setContainerId("app").build(), Duration.ofSeconds(10))).code());
        assertEquals(Code.NOT_FOUND, assertThrows(RpcException.class, () -> fixture.connection.call(
                AgentServiceGrpc.getGetDiagnosticDataMethod(), GetDiagnosticDataRequest.newBuilder()
                        .setLogType("termination_log").setContainerId("nope").build(), Duration.ofSeconds(10))).code());
        fixture.pod.removeContainer("app", 5);
        Files.delete(log);
    }
}
