package org.cvmagent.agent.policy;

import com.google.protobuf.Empty;
import io.grpc.MethodDescriptor;
import io.grpc.Status.Code;
import org.cvmagent.agent.config.AgentConfig;
import org.cvmagent.agent.server.AgentServices;
import org.cvmagent.proto.agent.AgentServiceGrpc;
import org.cvmagent.proto.agent.CheckRequest;
import org.cvmagent.proto.agent.CreateContainerRequest;
import org.cvmagent.proto.agent.GuestDetailsRequest;
import org.cvmagent.proto.agent.GuestDetailsResponse;
import org.cvmagent.proto.agent.HealthCheckResponse;
import org.cvmagent.rpc.Dispatcher;
import org.cvmagent.rpc.RpcException;
import org.cvmagent.testing.MemoryListener;
import org.cvmagent.ttrpc.ServerOptions;
import org.cvmagent.ttrpc.TtrpcClient;
import org.cvmagent.ttrpc.TtrpcServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The gate seam in the real agent dispatcher, driven over ttRPC. */
class PolicyGateTest {

    @TempDir
    Path dir;

    private final MemoryListener listener = new MemoryListener();
    private TtrpcServer server;

    private TtrpcClient serve(AgentConfig config, PolicyEngine engine) throws Exception {
        Dispatcher dispatcher = AgentServices.dispatcher(config, dir, false, engine);
        server = new TtrpcServer(dispatcher, ServerOptions.DEFAULTS);
        server.serve(listener);
        return new TtrpcClient(listener.connect());
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void withoutPolicyEverythingPassesAndUnimplementedMethodsSayWhich() throws Exception {
        try (TtrpcClient client = serve(AgentConfig.defaults(), PolicyEngine.NONE)) {
            HealthCheckResponse health = client.call("grpc.Health", "Check", CheckRequest.getDefaultInstance(),
                    HealthCheckResponse.parser());
            assertEquals(HealthCheckResponse.ServingStatus.SERVING, health.getStatus());
            RpcException e = assertThrows(RpcException.class, () -> client.call("grpc.AgentService", "CreateContainer",
                    CreateContainerRequest.newBuilder().setContainerId("c1").build(), Empty.parser()));
            assertEquals(Code.UNIMPLEMENTED, e.code());
            assertEquals("grpc.AgentService/CreateContainer is not implemented", e.getMessage());
        }
    }

    @Test
    void everyOtherAgentServiceMethodIsUnimplementedByName() throws Exception {
        try (TtrpcClient client = serve(AgentConfig.defaults(), PolicyEngine.NONE)) {
            List<String> answered = new ArrayList<>();
            for (MethodDescriptor<?, ?> method : AgentServiceGrpc.getServiceDescriptor().getMethods()) {
                String name = method.getBareMethodName();
                if (name.equals("GetGuestDetails")) {
                    continue;
                }
                RpcException e = assertThrows(RpcException.class, () -> client.callRaw("grpc.AgentService", name,
                        com.google.protobuf.ByteString.EMPTY, null, java.util.Map.of()), name);
                assertEquals(Code.UNIMPLEMENTED, e.code(), name);
                assertTrue(e.getMessage().contains("grpc.AgentService/" + name), e.getMessage());
                answered.add(name);
            }
            assertEquals(AgentServiceGrpc.getServiceDescriptor().getMethods().size() - 1, answered.size());
        }
    }

    @Test
    void denyAllPolicyGivesPermissionDeniedNamingTheRequestType() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        PolicyEngine denyAll = (type, request) -> {
            asked.incrementAndGet();
            return PolicyDecision.deny("denied by test policy");
        };
        try (TtrpcClient client = serve(AgentConfig.defaults(), denyAll)) {
            RpcException create = assertThrows(RpcException.class, () -> client.call("grpc.AgentService",
                    "CreateContainer", CreateContainerRequest.getDefaultInstance(), Empty.parser()));
            assertEquals(Code.PERMISSION_DENIED, create.code());
            assertEquals("CreateContainerRequest is blocked by policy: denied by test policy", create.getMessage());
            RpcException details = assertThrows(RpcException.class, () -> client.call("grpc.AgentService",
                    "GetGuestDetails", GuestDetailsRequest.getDefaultInstance(), GuestDetailsResponse.parser()));
            assertEquals(Code.PERMISSION_DENIED, details.code());
            assertTrue(details.getMessage().startsWith("GuestDetailsRequest"));
            // Health is outside the agent policy, as in kata
            assertEquals(HealthCheckResponse.ServingStatus.SERVING, client.call("grpc.Health", "Check",
                    CheckRequest.getDefaultInstance(), HealthCheckResponse.parser()).getStatus());
        }
        assertEquals(2, asked.get());
    }

    @Test
    void engineFailureDenies() throws Exception {
        PolicyEngine broken = (type, request) -> {
            throw new IllegalStateException("engine exploded");
        };
        try (TtrpcClient client = serve(AgentConfig.defaults(), broken)) {
            RpcException e = assertThrows(RpcException.class, () -> client.call("grpc.AgentService",
                    "GetGuestDetails", GuestDetailsRequest.getDefaultInstance(), GuestDetailsResponse.parser()));
            assertEquals(Code.PERMISSION_DENIED, e.code());
            assertTrue(e.getMessage().contains("engine exploded"), e.getMessage());
        }
    }

    @Test
    void aPolicyFileThisBuildCannotEvaluateDeniesEverything() throws Exception {
        Path policy = dir.resolve("default-policy.rego");
        Files.writeString(policy, "package agent_policy\ndefault CreateContainerRequest := true\n");
        AgentConfig config = withPolicyFile(policy);
        Dispatcher dispatcher = AgentServices.dispatcher(config, dir, false, AgentServices.policyEngine(config.policyFile()));
        server = new TtrpcServer(dispatcher, ServerOptions.DEFAULTS);
        server.serve(listener);
        try (TtrpcClient client = new TtrpcClient(listener.connect())) {
            RpcException e = assertThrows(RpcException.class, () -> client.call("grpc.AgentService",
                    "GetGuestDetails", GuestDetailsRequest.getDefaultInstance(), GuestDetailsResponse.parser()));
            assertEquals(Code.PERMISSION_DENIED, e.code());
            assertTrue(e.getMessage().contains(policy.toString()), e.getMessage());
        }
    }

    @Test
    void endpointsAllowListBlocksTheRest() throws Exception {
        AgentConfig base = AgentConfig.defaults();
        AgentConfig config = new AgentConfig(base.serverAddr(), base.grpcServerAddr(), base.logLevel(), false, false,
                base.hotplugTimeout(), 0, false, base.policyFile(), Optional.of(Set.of("CheckRequest")), base.runtime());
        try (TtrpcClient client = serve(config, PolicyEngine.NONE)) {
            assertEquals(HealthCheckResponse.ServingStatus.SERVING, client.call("grpc.Health", "Check",
                    CheckRequest.getDefaultInstance(), HealthCheckResponse.parser()).getStatus());
            RpcException e = assertThrows(RpcException.class, () -> client.call("grpc.AgentService",
                    "GetGuestDetails", GuestDetailsRequest.getDefaultInstance(), GuestDetailsResponse.parser()));
            assertEquals(Code.UNIMPLEMENTED, e.code());
            assertTrue(e.getMessage().contains("GuestDetailsRequest is blocked"), e.getMessage());
        }
    }

    private static AgentConfig withPolicyFile(Path policy) {
        AgentConfig base = AgentConfig.defaults();
        return new AgentConfig(base.serverAddr(), base.grpcServerAddr(), base.logLevel(), false, false,
                base.hotplugTimeout(), 0, false, policy, Optional.empty(), base.runtime());
    }
}
