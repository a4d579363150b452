package org.cvmagent.agent.server;

import org.cvmagent.agent.config.AgentConfig;
import org.cvmagent.agent.policy.PolicyEngine;
import org.cvmagent.agent.service.AgentVersion;
import org.cvmagent.agent.service.GuestMemoryInfo;
import org.cvmagent.testing.GoPeer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * containerd's Go ttRPC client (Debian's package, the library the kata shim uses) talks to our
 * agent over a unix socket the way a shim does, and checks every answer.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class GoShimInteropTest {

    @TempDir
    Path dir;

    @Test
    @SuppressWarnings("unchecked")
    void goClientGetsKataAnswers() throws Exception {
        Path socket = dir.resolve("agent.sock");
        Path memory = Path.of("/sys/devices/system/memory");
        AgentServer server = new AgentServer(AgentServices.dispatcher(AgentConfig.defaults(), memory, false,
                PolicyEngine.NONE), new org.cvmagent.transport.Transports());
        server.start("unix://" + socket, Optional.empty());
        try {
            Map<String, Object> out = GoPeer.get().check(socket, Duration.ofSeconds(20), Map.of("trace-id", "42"));

            Map<String, Object> check = (Map<String, Object>) out.get("health_check");
            assertEquals(true, check.get("ok"), out.toString());
            assertEquals("SERVING", ((Map<String, Object>) check.get("response")).get("status_name"));

            Map<String, Object> version = (Map<String, Object>) ((Map<String, Object>) out.get("health_version"))
                    .get("response");
            assertEquals(AgentVersion.fromBuild().agentVersion(), version.get("agent_version"));
            assertEquals(AgentVersion.API_VERSION, version.get("grpc_version"));

            Map<String, Object> details = (Map<String, Object>) ((Map<String, Object>) out.get("guest_details"))
                    .get("response");
            assertEquals(new GuestMemoryInfo(memory).blockSizeBytes(),
                    ((Number) details.get("mem_block_size_bytes")).longValue());
            Map<String, Object> agent = (Map<String, Object>) details.get("agent_details");
            assertEquals(AgentVersion.fromBuild().agentVersion(), agent.get("version"));
            assertEquals(false, agent.get("init_daemon"));
            assertEquals(List.of(), agent.get("unknown_fields"));

            Map<String, Object> noSuch = (Map<String, Object>) out.get("no_such_method");
            assertEquals("UNIMPLEMENTED", noSuch.get("code_name"));
            assertEquals("grpc.AgentService/NoSuchMethod is not implemented", noSuch.get("message"));
            Map<String, Object> create = (Map<String, Object>) out.get("create_container");
            assertEquals("UNIMPLEMENTED", create.get("code_name"));
            assertEquals("grpc.AgentService/CreateContainer is not implemented", create.get("message"));
        } finally {
            server.shutdown(Duration.ofSeconds(5));
        }
    }
}
