package org.cvmagent.agent.cli;

import org.cvmagent.agent.config.AgentConfig;
import org.cvmagent.agent.policy.PolicyDecision;
import org.cvmagent.agent.policy.PolicyEngine;
import org.cvmagent.agent.server.AgentServer;
import org.cvmagent.agent.server.AgentServices;
import org.cvmagent.transport.Transports;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CLI against a real agent on unix sockets, over ttRPC and over gRPC. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class AgentCtlTest {

    @TempDir
    Path dir;

    private final List<AgentServer> servers = new ArrayList<>();
    private final CtlRunner cli = new CtlRunner();

    @AfterEach
    void stop() throws InterruptedException {
        for (AgentServer server : servers) {
            server.shutdown(Duration.ofSeconds(2));
        }
    }

    @Test
    void grpcOverTcpForPeerPods() throws Exception {
        int port;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        AgentServer server = new AgentServer(AgentServices.dispatcher(AgentConfig.defaults(), dir, false,
                PolicyEngine.NONE), new Transports());
        server.start("unix://" + dir.resolve("t.sock"), Optional.of("tcp://127.0.0.1:" + port));
        servers.add(server);
        assertEquals(0, ctl("--grpc", "--addr", "tcp://127.0.0.1:" + port, "health"), err());
        assertEquals("SERVING\n", out());
    }

    private String startAgent(PolicyEngine policy, boolean withGrpc) throws Exception {
        Files.writeString(dir.resolve("block_size_bytes"), "8000000\n");
        AgentServer server = new AgentServer(AgentServices.dispatcher(AgentConfig.defaults(), dir, false, policy),
                new Transports());
        String ttrpc = "unix://" + dir.resolve("agent.sock");
        server.start(ttrpc, withGrpc ? Optional.of("unix://" + dir.resolve("grpc.sock")) : Optional.empty());
        servers.add(server);
        return ttrpc;
    }

    private int ctl(String... args) {
        return cli.run(args);
    }

    private String out() {
        return cli.out();
    }

    private String err() {
        return cli.err();
    }

    @Test
    void healthVersionAndCalls() throws Exception {
        String addr = startAgent(PolicyEngine.NONE, false);
        assertEquals(0, ctl("--addr", addr, "health"), err());
        assertEquals("SERVING\n", out());
        assertEquals(0, ctl("--addr", addr, "version"), err());
        assertTrue(out().contains("\"agent_version\""), out());
        assertEquals(0, ctl("--addr", addr, "call", "GetGuestDetails", "{\"mem_block_size\": true}"), err());
        assertTrue(out().contains("\"mem_block_size_bytes\": \"134217728\""), out());
        Path request = dir.resolve("req.json");
        Files.writeString(request, "{\"mem_block_size\": false}");
        assertEquals(0, ctl("--addr", addr, "call", "grpc.AgentService/GetGuestDetails", "@" + request), err());
        assertTrue(out().contains("\"mem_block_size_bytes\": \"0\""), out());
    }

    @Test
    void agentErrorsExitOneWithTheStatus() throws Exception {
        String addr = startAgent(PolicyEngine.NONE, false);
        assertEquals(1, ctl("--addr", addr, "call", "CreateContainer", "{\"container_id\": \"c1\"}"));
        assertEquals("ERROR UNIMPLEMENTED: grpc.AgentService/CreateContainer is not implemented\n", err());
    }

    @Test
    void usageAndConnectionErrors() throws Exception {
        assertEquals(2, ctl("health"));
        assertTrue(err().contains("no agent address"), err());
        assertEquals(2, ctl("--addr", "unix://" + dir.resolve("x.sock"), "call", "NoSuchThing"));
        assertTrue(err().contains("unknown method NoSuchThing"), err());
        assertEquals(2, ctl("--addr", "unix://" + dir.resolve("x.sock"), "call", "CreateContainer", "{\"nope\": 1}"));
        assertTrue(err().contains("CreateContainerRequest"), err());
        assertEquals(2, ctl("--addr", "bogus://x", "health"));
        assertEquals(3, ctl("--addr", "unix://" + dir.resolve("nobody.sock"), "health"));
        assertTrue(err().contains("cannot talk to"), err());
    }

    @Test
    void attestShowPrintsTheClaimsOfRealEvidence() throws Exception {
        String td = "/work/shared/testdata/attestation/";
        assertEquals(0, ctl("attest", "show", "--tdx-quote", td + "tdx/tdx_quote_4.dat", "--ccel", td + "ccel/CCEL_data"),
                err());
        JsonNode tdx = new ObjectMapper().readTree(out()).get("tdx");
        assertEquals(new ObjectMapper().readTree(Path.of(td + "tdx/parse_tdx_claims_expected.json").toFile()), tdx);
        assertEquals(0, ctl("attest", "show", "--snp-report", td + "snp/test-report.bin", "--vcek",
                td + "snp/test-vcek.der"), err());
        assertTrue(new ObjectMapper().readTree(out()).at("/snp/signature_valid").asBoolean(), out());
        Path bad = dir.resolve("short.dat");
        Files.write(bad, new byte[100]);
        assertEquals(1, ctl("attest", "show", "--tdx-quote", bad.toString()));
        assertTrue(err().contains("evidence does not parse"), err());
        assertEquals(2, ctl("attest", "show"));
        assertEquals(2, ctl("attest", "show", "--vcek", td + "snp/test-vcek.der"));
    }

    @Test
    void listShowsEveryMethodWithTypes() {
        assertEquals(0, ctl("list"));
        assertTrue(out().contains("grpc.AgentService/CreateContainer (grpc.CreateContainerRequest) returns (google.protobuf.Empty)"),
                out());
        assertTrue(out().contains("grpc.Health/Check (grpc.CheckRequest) returns (grpc.HealthCheckResponse)"), out());
    }

    @Test
    void grpcServesTheSameImplementationAndGate() throws Exception {
        startAgent((type, request) -> type.equals("CreateContainerRequest")
                ? PolicyDecision.deny("no containers here") : PolicyDecision.allow(), true);
        String grpc = "unix://" + dir.resolve("grpc.sock");
        assertEquals(0, ctl("--grpc", "--addr", grpc, "health"), err());
        assertEquals("SERVING\n", out());
        assertEquals(0, ctl("--grpc", "--addr", grpc, "call", "GetGuestDetails", "{\"mem_block_size\": true}"), err());
        assertTrue(out().contains("134217728"), out());
        assertEquals(1, ctl("--grpc", "--addr", grpc, "call", "CreateContainer", "{}"));
        assertEquals("ERROR PERMISSION_DENIED: CreateContainerRequest is blocked by policy: no containers here\n", err());
        assertEquals(1, ctl("--grpc", "--addr", grpc, "call", "StartContainer", "{}"));
        assertEquals("ERROR UNIMPLEMENTED: grpc.AgentService/StartContainer is not implemented\n", err());
    }
}
