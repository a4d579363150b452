package org.cvmagent.agent.sandbox;

import io.grpc.Status.Code;
import org.cvmagent.agent.config.TrustMode;
import org.cvmagent.agent.policy.RegoCompilers;
import org.cvmagent.agent.server.AgentServices;
import org.cvmagent.rpc.RpcException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A pod under the shipped confidential default policy, evaluated by the agent's own Rego engine,
 * over ttRPC with real runc: the lifecycle works, exec is PERMISSION_DENIED and reading a process's
 * output answers no data; a broken SetPolicy is refused and the old policy holds; SetPolicy(allow-all)
 * opens exec and the output.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ConfidentialPolicyPodTest {

    @TempDir
    Path dir;

    @Test
    void execAndOutputAreDeniedUntilThePolicyAllowsThem() throws Exception {
        Path policy = dir.resolve("default-policy.rego");
        Files.writeString(policy, resource("/policies/dev-default.rego"));
        var engine = AgentServices.policyEngine(policy, RegoCompilers.installed(), Optional.empty(), TrustMode.DEVELOPMENT);
        try (PodFixture fixture = new PodFixture(dir, engine)) {
            var pod = fixture.pod;
            pod.createSandbox(fixture.sandboxRequest("coco-pod"));
            fixture.run("coco-pod", "sleep", "100000");
            fixture.run("app", "echo", "secret output");
            assertEquals(0, pod.waitProcess("app", ""));
            // as kata: a denied read is answered, without the data (which the agent keeps draining)
            assertEquals(0, pod.read("app", "", 100, true).length);
            denied("ExecProcessRequest", () -> pod.exec("coco-pod", "ex1", PodFixture.process(false, "true")));
            denied("WriteStreamRequest", () -> pod.writeStdin("coco-pod", "", new byte[] {1}));

            RpcException broken = assertThrows(RpcException.class, () -> pod.setPolicy("package agent_policy\nthis is not rego"));
            assertEquals(Code.INVALID_ARGUMENT, broken.code(), broken.getMessage());
            denied("ExecProcessRequest", () -> pod.exec("coco-pod", "ex1", PodFixture.process(false, "true")));

            pod.setPolicy(resource("/policies/allow-all.rego"));
            // what the denied read did not reveal is still there for a reader the policy allows
            assertEquals("secret output\n", new String(pod.readAll("app", "", true), StandardCharsets.UTF_8));
            pod.exec("coco-pod", "ex2", PodFixture.process(false, "echo", "allowed now"));
            assertEquals("allowed now\n", new String(pod.readAll("coco-pod", "ex2", true), StandardCharsets.UTF_8));
            assertEquals(0, pod.waitProcess("coco-pod", "ex2"));
            pod.removeContainer("app", 0);
        }
    }

    private static void denied(String requestType, Executable call) {
        RpcException e = assertThrows(RpcException.class, call);
        assertEquals(Code.PERMISSION_DENIED, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains(requestType + " is blocked by policy"), e.getMessage());
    }

    private static String resource(String name) throws Exception {
        try (InputStream in = ConfidentialPolicyPodTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
