package org.cvmagent.agent.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.cvmagent.agent.config.KernelCmdline;
import org.cvmagent.agent.initdata.MeasuredInitData;
import org.cvmagent.agent.tee.DetectedTee;
import org.cvmagent.agent.tee.TeeProbe;
import org.cvmagent.attestation.service.GuestComponentsServer;
import org.cvmagent.attestation.tsm.KernelConfigfsTsm;
import org.cvmagent.attestation.tsm.TsmReport;
import org.cvmagent.proto.attestation.GetTeeTypeRequest;
import org.cvmagent.proto.attestation.GetTeeTypeResponse;
import org.cvmagent.transport.AgentAddress;
import org.cvmagent.transport.Transports;
import org.cvmagent.ttrpc.TtrpcClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which guest components the agent serves, decided from kata's cmdline option, the TEE and init-data. */
class GuestComponentsLauncherTest {
    @TempDir
    Path dir;

    private GuestComponentsLauncher launcher(String cmdline, Map<String, String> env) throws Exception {
        Optional<MeasuredInitData> initData = env.containsKey("CVM_AGENT_INITDATA")
                ? Optional.of(MeasuredInitData.of(Files.readAllBytes(Path.of(env.get("CVM_AGENT_INITDATA"))), "test"))
                : Optional.empty();
        Optional<DetectedTee> tee = new TeeProbe(new TsmReport(new KernelConfigfsTsm(dir.resolve("no-configfs-tsm"))),
                env.containsKey("AA_SAMPLE_ATTESTER_TEST")).detect();
        return new GuestComponentsLauncher(KernelCmdline.parse(cmdline), initData, tee);
    }

    @Test
    void withoutATeeNothingIsServedAndNothingFaked() throws Exception {
        assertTrue(launcher("", Map.of()).launch(dir, Optional.of(0), new Transports()).isEmpty());
        assertFalse(Files.exists(dir.resolve(GuestComponentsServer.AA_SOCKET)));
        assertTrue(launcher("agent.guest_components_procs=none", Map.of("AA_SAMPLE_ATTESTER_TEST", "1"))
                .launch(dir, Optional.of(0), new Transports()).isEmpty());
        assertThrows(IllegalArgumentException.class, () -> launcher("agent.guest_components_procs=everything",
                Map.of()).launch(dir, Optional.of(0), new Transports()));
    }

    @Test
    void theSampleTeeServesTheAttestationAgentOnCocosSocket() throws Exception {
        Path initData = Files.writeString(dir.resolve("initdata.toml"), """
                algorithm = "sha384"
                version = "0.1.0"

                [data]
                "aa.toml" = '''
                [token_configs.kbs]
                url = "http://127.0.0.1:1"
                '''
                """);
        Optional<GuestComponentsServer> server = launcher("agent.guest_components_procs=confidential-data-hub",
                Map.of("AA_SAMPLE_ATTESTER_TEST", "1", "CVM_AGENT_INITDATA", initData.toString()))
                .launch(dir, Optional.of(0), new Transports());
        assertTrue(server.isPresent());
        try (GuestComponentsServer s = server.get();
             TtrpcClient client = new TtrpcClient(new Transports().dial(
                     AgentAddress.parse("unix://" + dir.resolve(GuestComponentsServer.AA_SOCKET)), Duration.ofSeconds(5)))) {
            GetTeeTypeResponse tee = client.call("attestation_agent.AttestationAgentService", "GetTeeType",
                    GetTeeTypeRequest.getDefaultInstance(), GetTeeTypeResponse.parser(), Duration.ofSeconds(5),
                    Map.of());
            assertEquals("sample", tee.getTee());
            assertTrue(Files.exists(dir.resolve(GuestComponentsServer.CDH_SOCKET)), "the CDH serves the init-data's KBS");
            assertTrue(s.restPort().isEmpty(), "api-server-rest only when asked for");
        }
    }
}
