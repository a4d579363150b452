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
    private static final Set<String> COCO_DENIED = Set.of("ExecProcessRequest", "ReadStreamRequest", "WriteStreamRequest");

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
    void cocoDefaultDeniesExecAndStreamsOnly() throws IOException {
        Map<String, Boolean> defaults = defaults(resource("coco-default.rego"));
        for (String type : RequestTypes.agentService().names()) {
            assertEquals(!COCO_DENIED.contains(type), defaults.get(type), type);
        }
    }

    @Test
    void withARegoEngineTheyCompileAndDecideAsWritten() throws Exception {
        Optional<RegoCompiler> compiler = RegoCompilers.installed();
        assertTrue(compiler.isPresent(), "the Rego engine is not found through ServiceLoader");
        for (String name : Set.of("allow-all.rego", "coco-default.rego")) {
            RegoEvaluator policy = compiler.get().compile(resource(name));
            for (String type : RequestTypes.agentService().names()) {
                boolean expected = name.equals("allow-all.rego") || !COCO_DENIED.contains(type);
                RegoEvaluator.Evaluation result = policy.query("data.agent_policy." + type,
                        JsonNodeFactory.instance.objectNode(), JsonNodeFactory.instance.objectNode(), Duration.ofSeconds(2));
                assertEquals(Optional.of(JsonNodeFactory.instance.booleanNode(expected)), result.value(), name + " " + type);
            }
        }
    }
}
