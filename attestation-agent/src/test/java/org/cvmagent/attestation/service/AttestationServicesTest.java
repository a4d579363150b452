package org.cvmagent.attestation.service;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.grpc.Status;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.cvmagent.attestation.attester.SampleAttester;
import org.cvmagent.attestation.aael.AaelStore;
import org.cvmagent.attestation.aael.EvidenceEventLog;
import org.cvmagent.attestation.aael.FakeRtmrs;
import org.cvmagent.attestation.aael.RuntimeEventLog;
import org.cvmagent.attestation.eventlog.CcEventLog;
import org.cvmagent.attestation.eventlog.TcgAlgorithm;
import org.cvmagent.attestation.cdh.ResourceFetcher;
import org.cvmagent.attestation.kbs.KbsPeerFixture;
import org.cvmagent.proto.attestation.BindInitDataRequest;
import org.cvmagent.proto.attestation.BindInitDataResponse;
import org.cvmagent.proto.attestation.ExtendRuntimeMeasurementRequest;
import org.cvmagent.proto.attestation.ExtendRuntimeMeasurementResponse;
import org.cvmagent.proto.attestation.GetEvidenceRequest;
import org.cvmagent.proto.attestation.GetEvidenceResponse;
import org.cvmagent.proto.attestation.GetTeeTypeRequest;
import org.cvmagent.proto.attestation.GetTeeTypeResponse;
import org.cvmagent.proto.attestation.GetTokenRequest;
import org.cvmagent.proto.attestation.GetTokenResponse;
import org.cvmagent.proto.attestation.RuntimeMeasurementResult;
import org.cvmagent.proto.cdh.GetResourceRequest;
import org.cvmagent.proto.cdh.GetResourceResponse;
import org.cvmagent.proto.cdh.UnsealSecretInput;
import org.cvmagent.proto.cdh.UnsealSecretOutput;
import org.cvmagent.rpc.CallGates;
import org.cvmagent.rpc.Dispatcher;
import org.cvmagent.rpc.RpcException;
import org.cvmagent.rpc.ServiceBinding;
import org.cvmagent.rpc.ServiceRegistry;
import org.cvmagent.transport.AgentAddress;
import org.cvmagent.transport.Transports;
import org.cvmagent.ttrpc.ServerOptions;
import org.cvmagent.ttrpc.TtrpcClient;
import org.cvmagent.ttrpc.TtrpcServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The AA and CDH ttRPC APIs on a unix socket, with the sample TEE and a KBS protocol peer behind them. */
class AttestationServicesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    Path dir;
    private KbsPeerFixture kbs;
    private TtrpcServer server;
    private TtrpcClient client;
    private final FakeRtmrs measurements = new FakeRtmrs();
    private AaelStore aael;

    @BeforeEach
    void start() throws Exception {
        kbs = KbsPeerFixture.start();
        kbs.putResource("default/key/1", "the-secret-key".getBytes(StandardCharsets.UTF_8));
        List<ServiceBinding> bindings = new ArrayList<>();
        aael = AaelStore.open(dir.resolve("attestation-agent/eventlog"));
        RuntimeEventLog eventLog = RuntimeEventLog.open(measurements, aael, dir.resolve("attestation-agent/.wal"), 17);
        bindings.add(new AttestationAgentHandlers(new SampleAttester(JSON), Optional.of(measurements),
                Optional.of(measurements), Optional.of(eventLog), Optional.of(kbs.client())).binding());
        bindings.addAll(new ConfidentialDataHubHandlers(new ResourceFetcher(kbs.client()), JSON).bindings());
        server = new TtrpcServer(new Dispatcher(new ServiceRegistry(bindings), CallGates.all(List.of())),
                ServerOptions.DEFAULTS);
        AgentAddress address = AgentAddress.parse("unix://" + dir.resolve("aa.sock"));
        Transports transports = new Transports();
        server.serve(transports.listen(address));
        client = new TtrpcClient(transports.dial(address, TIMEOUT));
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        server.shutdown(Duration.ofSeconds(2));
        kbs.close();
    }

    private <R extends com.google.protobuf.Message> R aa(String method, com.google.protobuf.Message req,
                                                          com.google.protobuf.Parser<R> parser) throws Exception {
        return client.call("attestation_agent.AttestationAgentService", method, req, parser, TIMEOUT,
                java.util.Map.of());
    }

    @Test
    void evidenceTeeTypeAndToken() throws Exception {
        GetEvidenceResponse ev = aa("GetEvidence", GetEvidenceRequest.newBuilder()
                .setRuntimeData(ByteString.copyFromUtf8("nonce-1")).build(), GetEvidenceResponse.parser());
        JsonNode evidence = JSON.readTree(ev.getEvidence().toStringUtf8());
        assertTrue(new String(Base64.getDecoder().decode(evidence.path("report_data").asText()), StandardCharsets.UTF_8)
                .startsWith("nonce-1"), evidence.toString());
        assertEquals("sample", aa("GetTeeType", GetTeeTypeRequest.getDefaultInstance(), GetTeeTypeResponse.parser())
                .getTee());
        GetTokenResponse token = aa("GetToken", GetTokenRequest.newBuilder().setTokenType("kbs").build(),
                GetTokenResponse.parser());
        assertEquals(3, token.getToken().toStringUtf8().split("\\.").length, "a JWT");
        RpcException other = assertThrows(RpcException.class, () -> aa("GetToken",
                GetTokenRequest.newBuilder().setTokenType("coco_as").build(), GetTokenResponse.parser()));
        assertEquals(Status.Code.INVALID_ARGUMENT, other.code());
    }

    @Test
    void runtimeMeasurementAndInitData() throws Exception {
        ExtendRuntimeMeasurementResponse r = aa("ExtendRuntimeMeasurement", ExtendRuntimeMeasurementRequest.newBuilder()
                .setDomain("github.com/confidential-containers").setOperation("PullImage").setContent("busybox").build(),
                ExtendRuntimeMeasurementResponse.parser());
        assertEquals(RuntimeMeasurementResult.OK, r.getResult());
        r = aa("ExtendRuntimeMeasurement", ExtendRuntimeMeasurementRequest.newBuilder()
                .setDomain("kata").setOperation("op").setContent("c").setRegisterIndex(9).build(),
                ExtendRuntimeMeasurementResponse.parser());
        assertEquals(RuntimeMeasurementResult.OK, r.getResult());
        assertEquals(List.of("17->RTMR3", "9->RTMR2"), measurements.extendsDone());
        CcEventLog log = CcEventLog.parse(EvidenceEventLog.assemble(Optional.empty(), aael.entries()).orElseThrow());
        assertArrayEquals(measurements.rtmr(3), log.replay(4, TcgAlgorithm.SHA384));
        assertArrayEquals(measurements.rtmr(2), log.replay(3, TcgAlgorithm.SHA384));
        RpcException twoLines = assertThrows(RpcException.class, () -> aa("ExtendRuntimeMeasurement",
                ExtendRuntimeMeasurementRequest.newBuilder().setDomain("d").setOperation("o").setContent("a\nb").build(),
                ExtendRuntimeMeasurementResponse.parser()));
        assertEquals(Status.Code.INVALID_ARGUMENT, twoLines.code());
        assertEquals(2, measurements.extendsDone().size(), "a refused event extends nothing");

        byte[] launchDigest = new byte[32];
        launchDigest[0] = 9;
        measurements.launchDigest(launchDigest);
        aa("BindInitData", BindInitDataRequest.newBuilder().setDigest(ByteString.copyFrom(launchDigest)).build(),
                BindInitDataResponse.parser());
        RpcException mismatch = assertThrows(RpcException.class, () -> aa("BindInitData",
                BindInitDataRequest.newBuilder().setDigest(ByteString.copyFrom(new byte[32])).build(),
                BindInitDataResponse.parser()));
        assertEquals(Status.Code.FAILED_PRECONDITION, mismatch.code());
    }

    @Test
    void resourcesAndSealedSecretsThroughTheKbs() throws Exception {
        GetResourceResponse res = client.call("api.GetResourceService", "GetResource", GetResourceRequest.newBuilder()
                .setResourcePath("kbs:///default/key/1").build(), GetResourceResponse.parser(), TIMEOUT, java.util.Map.of());
        assertEquals("the-secret-key", res.getResource().toStringUtf8());
        String payload = Base64.getUrlEncoder().withoutPadding().encodeToString(
                "{\"version\":\"0.1.0\",\"type\":\"vault\",\"name\":\"kbs:///default/key/1\",\"provider\":\"kbs\"}"
                        .getBytes(StandardCharsets.UTF_8));
        UnsealSecretOutput out = client.call("api.SealedSecretService", "UnsealSecret", UnsealSecretInput.newBuilder()
                .setSecret(ByteString.copyFromUtf8("sealed.fakejwsheader." + payload + ".fakesignature")).build(),
                UnsealSecretOutput.parser(), TIMEOUT, java.util.Map.of());
        assertEquals("the-secret-key", out.getPlaintext().toStringUtf8());
        for (String bad : new String[] {"not-sealed", "sealed.only.two", "sealed.h." + Base64.getUrlEncoder()
                .encodeToString("{\"type\":\"mystery\"}".getBytes(StandardCharsets.UTF_8)) + ".s"}) {
            RpcException e = assertThrows(RpcException.class, () -> client.call("api.SealedSecretService",
                    "UnsealSecret", UnsealSecretInput.newBuilder().setSecret(ByteString.copyFromUtf8(bad)).build(),
                    UnsealSecretOutput.parser(), TIMEOUT, java.util.Map.of()), bad);
            assertEquals(Status.Code.INVALID_ARGUMENT, e.code(), bad);
        }
        RpcException unknown = assertThrows(RpcException.class, () -> client.call("api.GetResourceService",
                "GetResource", GetResourceRequest.newBuilder().setResourcePath("kbs:///default/key/nope").build(),
                GetResourceResponse.parser(), TIMEOUT, java.util.Map.of()));
        assertTrue(unknown.getMessage().contains("not found") || unknown.getMessage().contains("404"),
                unknown.getMessage());
        RpcException pull = assertThrows(RpcException.class, () -> client.call("api.ImagePullService", "PullImage",
                org.cvmagent.proto.cdh.ImagePullRequest.getDefaultInstance(),
                org.cvmagent.proto.cdh.ImagePullResponse.parser(), TIMEOUT, java.util.Map.of()));
        assertEquals(Status.Code.UNIMPLEMENTED, pull.code(), "a service this hub does not serve says so by name");
    }
}
