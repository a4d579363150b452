package org.cvmagent.agent.policy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The policies shipped in the agent's resources: read as text here (the Rego engine lives
 * elsewhere); when a Rego engine is installed they are also compiled and asked.
 */
class ShippedPoliciesTest {

    private static final Pattern DEFAULT = Pattern.compile("(?m)^default (\\w+) := (true|false)$");
    /** The development default: the workload's view denied, the policy replaceable. */
    private static final Set<String> DEV_DENIED = Set.of("ExecProcessRequest", "ReadStreamRequest", "WriteStreamRequest");
    /** The confidential default the guest image ships: also no SetPolicy, swap, clock or diagnostics. */
    private static final Set<String> COCO_DENIED = Set.of("ExecProcessRequest", "ReadStreamRequest", "WriteStreamRequest",
            "SetPolicyRequest", "AddSwapRequest", "AddSwapPathRequest", "SetGuestDateTimeRequest",
            "GetDiagnosticDataRequest");
    private static final Map<String, Set<String>> DENIED = Map.of("allow-all.rego", Set.of(),
            "dev-default.rego", DEV_DENIED, "coco-default.rego", COCO_DENIED);

    static String resource(String name) throws IOException {
        try (InputStream in = ShippedPoliciesTest.class.getResourceAsStream("/policies/" + name)) {
            assertNotNull(in, name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static Map<String, Boolean> defaults(String policy) {
        Map<String, Boolean> defaults = new TreeMap<>();
        Matcher m = DEFAULT.matcher(policy);
        while (m.find()) {
            defaults.put(m.group(1), Boolean.parseBoolean(m.group(2)));
        }
        return defaults;
    }

    @Test
    void allowAllAllowsEveryRequestTypeOfTheServiceAndKatas() throws IOException {
        String policy = resource("allow-all.rego");
        assertTrue(policy.contains("package agent_policy"));
        Map<String, Boolean> defaults = defaults(policy);
        for (String type : RequestTypes.agentService().names()) {
            assertEquals(Boolean.TRUE, defaults.get(type), type);
        }
        for (String kata : Set.of("PullImageRequest", "StartTracingRequest", "SetPolicyRequest", "MemAgentMemcgConfig")) {
            assertEquals(Boolean.TRUE, defaults.get(kata), kata);
        }
        assertTrue(defaults.values().stream().allMatch(b -> b));
    }

    @Test
    void theDefaultsDenyExactlyWhatTheySay() throws IOException {
        for (String name : Set.of("dev-default.rego", "coco-default.rego")) {
            Map<String, Boolean> defaults = defaults(resource(name));
            for (String type : RequestTypes.agentService().names()) {
                assertEquals(!DENIED.get(name).contains(type), defaults.get(type), name + " " + type);
            }
            String text = resource(name);
            for (String denied : DENIED.get(name)) {
                assertTrue(text.contains("#   " + denied) || text.contains("#   " + denied.replace("Request", "")),
                        name + " says why it denies " + denied);
            }
        }
    }

    @Test
    void withARegoEngineTheyCompileAndDecideAsWritten() throws Exception {
        Optional<RegoCompiler> compiler = RegoCompilers.installed();
        assertTrue(compiler.isPresent(), "the Rego engine is not found through ServiceLoader");
        for (String name : DENIED.keySet()) {
            RegoEvaluator policy = compiler.get().compile(resource(name));
            for (String type : RequestTypes.agentService().names()) {
                boolean expected = !DENIED.get(name).contains(type);
                RegoEvaluator.Evaluation result = policy.query("data.agent_policy." + type,
                        JsonNodeFactory.instance.objectNode(), JsonNodeFactory.instance.objectNode(), Duration.ofSeconds(2));
                assertEquals(Optional.of(JsonNodeFactory.instance.booleanNode(expected)), result.value(), name + " " + type);
            }
        }
    }
}
