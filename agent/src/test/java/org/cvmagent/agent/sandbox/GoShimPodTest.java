package org.cvmagent.agent.sandbox;

import org.cvmagent.agent.config.TrustMode;
import org.cvmagent.agent.policy.PolicyEngine;
import org.cvmagent.agent.policy.RegoCompilers;
import org.cvmagent.agent.sandbox.GoShimPodReport.Generation;
import org.cvmagent.agent.server.AgentServices;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A whole pod driven by a Go client written as kata's runtime drives the agent (containerd's Go
 * ttRPC library, one connection, stdout and stderr copied concurrently, WaitProcess only after
 * both copies ended), in each runtime generation's manner of ending a copy, against the agent
 * in this JVM with real runc. Needs go, Debian's ttrpc package and runc (scripts/setup): a
 * missing one fails.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class GoShimPodTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(Generation.class)
    void aShimOfEitherGenerationRunsAWholePod(Generation generation) throws Exception {
        try (PodFixture fixture = new PodFixture(dir)) {
            GoShimPodReport report = runClient(fixture, generation, false);
            report.assertWholePod();
            assertEquals(List.of(), fixture.host.sandbox().containerIds(), "the client removed its containers");
        }
    }

    /** The development default denies ExecProcessRequest and ReadStreamRequest; the rest of the pod runs. */
    @ParameterizedTest
    @EnumSource(Generation.class)
    void underAPolicyDenyingExecAndStdioTheShimSeesDenialAndNoOutput(Generation generation) throws Exception {
        Path policy = dir.resolve("default-policy.rego");
        Files.writeString(policy, resource("/policies/dev-default.rego"));
        PolicyEngine engine = AgentServices.policyEngine(policy, RegoCompilers.installed(), Optional.empty(),
                TrustMode.DEVELOPMENT);
        try (PodFixture fixture = new PodFixture(dir, engine)) {
            runClient(fixture, generation, true).assertWholePod();
        }
    }

    private GoShimPodReport runClient(PodFixture fixture, Generation generation, boolean denied) throws Exception {
        assertTrue(Files.isExecutable(PodRequests.RUNC), "runc is missing: run scripts/setup");
        Path plan = GoShimPodPlan.write(fixture.requests, dir.resolve("plan.json"), denied);
        return GoShimPodReport.run(fixture.dir.resolve("agent.sock"), plan, generation, denied);
    }

    private static String resource(String name) throws Exception {
        try (InputStream in = GoShimPodTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }
}
