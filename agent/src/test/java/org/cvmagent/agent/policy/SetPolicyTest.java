package org.cvmagent.agent.policy;

import com.fasterxml.jackson.databind.node.BooleanNode;
import com.google.protobuf.Empty;
import io.grpc.Status.Code;
import org.cvmagent.agent.config.AgentConfig;
import org.cvmagent.agent.config.ConfigException;
import org.cvmagent.agent.config.TrustMode;
import org.cvmagent.agent.initdata.MeasuredInitData;
import java.nio.charset.StandardCharsets;
import org.cvmagent.agent.server.AgentServices;
import org.cvmagent.proto.agent.GuestDetailsRequest;
import org.cvmagent.proto.agent.GuestDetailsResponse;
import org.cvmagent.proto.agent.SetPolicyRequest;
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
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SetPolicy through the real dispatcher over ttRPC, with a fake Rego compiler. */
class SetPolicyTest {

    @TempDir
    Path dir;

    private final MemoryListener listener = new MemoryListener();
    private TtrpcServer server;

    private final FakeRego rego = new FakeRego()
            .with("open", new FakeRego.Policy()
                    .constant("GuestDetailsRequest", BooleanNode.TRUE)
                    .constant("SetPolicyRequest", BooleanNode.TRUE))
            .with("no-details", new FakeRego.Policy()
                    .constant("GuestDetailsRequest", BooleanNode.FALSE, "details are off")
                    .constant("SetPolicyRequest", BooleanNode.TRUE))
            .with("locked", new FakeRego.Policy()
                    .constant("GuestDetailsRequest", BooleanNode.TRUE)
                    .constant("SetPolicyRequest", BooleanNode.FALSE, "policy is locked"));

    private TtrpcClient serve(PolicyEngine engine) throws Exception {
        server = new TtrpcServer(AgentServices.dispatcher(AgentConfig.defaults(), dir, false, engine),
                ServerOptions.DEFAULTS);
        server.serve(listener);
        return new TtrpcClient(listener.connect());
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private RegoPolicyEngine engine(String initial) {
        RegoPolicyEngine engine = new RegoPolicyEngine(rego, Duration.ofSeconds(2), CopyFileInput.Shape.KATA,
                DecisionLog.standard());
        engine.loadInitial(initial, "test");
        return engine;
    }

    private static void setPolicy(TtrpcClient client, String policy) throws Exception {
        client.call("grpc.AgentService", "SetPolicy", SetPolicyRequest.newBuilder().setPolicy(policy).build(),
                Empty.parser());
    }

    private static GuestDetailsResponse details(TtrpcClient client) throws Exception {
        return client.call("grpc.AgentService", "GetGuestDetails", GuestDetailsRequest.getDefaultInstance(),
                GuestDetailsResponse.parser());
    }

    @Test
    void aGoodPolicyReplacesTheCurrentOne() throws Exception {
        try (TtrpcClient client = serve(engine("open"))) {
            details(client);
            setPolicy(client, "no-details");
            RpcException e = assertThrows(RpcException.class, () -> details(client));
            assertEquals(Code.PERMISSION_DENIED, e.code());
            assertEquals("GuestDetailsRequest is blocked by policy: details are off", e.getMessage());
        }
    }

    @Test
    void aPolicyThatDoesNotCompileIsRejectedAndTheOldOneStays() throws Exception {
        try (TtrpcClient client = serve(engine("open"))) {
            RpcException e = assertThrows(RpcException.class, () -> setPolicy(client, "bad {"));
            assertEquals(Code.INVALID_ARGUMENT, e.code());
            assertTrue(e.getMessage().contains("policy.rego:3:7"), e.getMessage());
            details(client);
        }
    }

    @Test
    void setPolicyIsGatedByTheCurrentPolicy() throws Exception {
        try (TtrpcClient client = serve(engine("locked"))) {
            RpcException e = assertThrows(RpcException.class, () -> setPolicy(client, "no-details"));
            assertEquals(Code.PERMISSION_DENIED, e.code());
            assertEquals("SetPolicyRequest is blocked by policy: policy is locked", e.getMessage());
            details(client);
        }
    }

    @Test
    void withoutAStartPolicyEverythingIsAllowedUntilSetPolicy() throws Exception {
        RegoPolicyEngine engine = new RegoPolicyEngine(rego, Duration.ofSeconds(2), CopyFileInput.Shape.KATA,
                DecisionLog.standard());
        try (TtrpcClient client = serve(engine)) {
            details(client);
            setPolicy(client, "no-details");
            assertEquals(Code.PERMISSION_DENIED, assertThrows(RpcException.class, () -> details(client)).code());
        }
    }

    @Test
    void anEngineThatCannotReplaceLeavesSetPolicyUnimplemented() throws Exception {
        try (TtrpcClient client = serve(PolicyEngine.NONE)) {
            assertEquals(Code.UNIMPLEMENTED, assertThrows(RpcException.class, () -> setPolicy(client, "open")).code());
        }
    }

    @Test
    void theAgentLoadsTheDefaultPolicyFileThroughTheCompiler() throws Exception {
        Path file = dir.resolve("default-policy.rego");
        Files.writeString(file, "no-details");
        PolicyEngine engine = AgentServices.policyEngine(file, Optional.of(rego), Optional.empty(), TrustMode.DEVELOPMENT);
        assertInstanceOf(RegoPolicyEngine.class, engine);
        try (TtrpcClient client = serve(engine)) {
            assertEquals(Code.PERMISSION_DENIED, assertThrows(RpcException.class, () -> details(client)).code());
        }
    }

    @Test
    void aDefaultPolicyThatDoesNotCompileDeniesEverything() throws Exception {
        Path file = dir.resolve("default-policy.rego");
        Files.writeString(file, "bad policy");
        PolicyEngine engine = AgentServices.policyEngine(file, Optional.of(rego), Optional.empty(), TrustMode.DEVELOPMENT);
        try (TtrpcClient client = serve(engine)) {
            RpcException e = assertThrows(RpcException.class, () -> details(client));
            assertEquals(Code.PERMISSION_DENIED, e.code());
            assertTrue(e.getMessage().contains("does not compile"), e.getMessage());
            assertEquals(Code.PERMISSION_DENIED, assertThrows(RpcException.class, () -> setPolicy(client, "open")).code());
        }
    }

    @Test
    void withoutACompilerTheOldBehaviourStays() throws Exception {
        Path missing = dir.resolve("none.rego");
        assertSame(PolicyEngine.NONE, AgentServices.policyEngine(missing, Optional.empty(), Optional.empty(), TrustMode.DEVELOPMENT));
        Path file = dir.resolve("default-policy.rego");
        Files.writeString(file, "open");
        assertInstanceOf(UnevaluablePolicy.class,
                AgentServices.policyEngine(file, Optional.empty(), Optional.empty(), TrustMode.DEVELOPMENT));
        MeasuredInitData initData = MeasuredInitData.of(InitDataTest.TOML.getBytes(StandardCharsets.UTF_8), "test");
        assertInstanceOf(UnevaluablePolicy.class, AgentServices.policyEngine(missing, Optional.empty(),
                Optional.of(initData), TrustMode.DEVELOPMENT));
    }

    @Test
    void aConfidentialAgentWithoutAnyPolicyRefusesToServe() {
        // The review's attack: agent.policy_file=/nonexistent made a missing file mean "allow everything".
        Path missing = dir.resolve("none.rego");
        ConfigException e = assertThrows(ConfigException.class, () -> AgentServices.policyEngine(missing,
                Optional.of(rego), Optional.empty(), TrustMode.CONFIDENTIAL));
        assertTrue(e.getMessage().contains("refusing to serve"), e.getMessage());
    }
}
