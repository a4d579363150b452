package org.cvmagent.agent.policy.rego;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.cvmagent.agent.policy.JsonPatch;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A genpolicy policy's anchored patterns over host-supplied values deny a value with anything after
 * the match, as regorus does: java.util.regex's $ also matched before a final line terminator, so a
 * container's resolv.conf mount source ending in "\n" (or U+2028, U+0085 ...) was allowed here and
 * denied by kata-agent.
 */
class KataRegexEdgeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static boolean allowed(JsonNode result) {
        return result != null && (result.isBoolean() ? result.asBoolean() : result.path("allowed").asBoolean(false));
    }

    /**
     * Replays the web pod's requests; at each allowed CreateContainer, a copy whose resolv.conf
     * mount source (checked by genpolicy against "^$(cpath)/$(bundle-id)-[a-z0-9]{16}-resolv.conf$")
     * carries a trailing terminator must be denied. (Not every value is anchored: genpolicy lets
     * HOSTNAME=$(host-name) and CopyFile paths under the shared prefix be anything, in regorus too.)
     */
    @Test
    void createContainerWithATrailingLineTerminatorIsDenied() throws Exception {
        Path dir = KataPolicyTest.CASES.resolve("web");
        RegoPolicy policy = RegoPolicy.compile(List.of(Files.readString(dir.resolve("policy.rego"))));
        JsonNode data = JSON.createObjectNode().set("pstate", JSON.createObjectNode());
        int checked = 0;
        for (KataPolicyTest.Request r : KataPolicyTest.requests(dir)) {
            JsonNode got = policy.query("data.agent_policy." + r.rule(), r.input(), data).value().orElse(null);
            if (r.rule().equals("CreateContainerRequest") && allowed(got)) {
                for (String tail : List.of("\n", "\r", "\r\n", "\u2028", "\u2029", "\u0085", "\u0000", " ")) {
                    ObjectNode mounts = r.input().deepCopy();
                    boolean touched = false;
                    for (JsonNode m : mounts.path("OCI").path("Mounts")) {
                        if (m.path("source").asText().endsWith("-resolv.conf")) {
                            ((ObjectNode) m).put("source", m.path("source").asText() + tail);
                            touched = true;
                        }
                    }
                    if (touched) {
                        assertFalse(allowed(policy.query("data.agent_policy.CreateContainerRequest", mounts, data)
                                .value().orElse(null)), "resolv.conf source + " + JSON.writeValueAsString(tail));
                        checked++;
                    }
                }
            }
            if (got != null && got.isObject() && got.has("ops")) {
                data = JsonPatch.apply(data, got.get("ops"));
            }
        }
        assertTrue(checked >= 16, "checked " + checked);
        // what the old engine (java.util.regex) did with genpolicy's pattern
        assertTrue(java.util.regex.Pattern.compile("^/run/kata-containers/shared/containers/[a-z0-9]{64}-[a-z0-9]{16}-resolv.conf$")
                .matcher("/run/kata-containers/shared/containers/" + "a".repeat(64) + "-" + "b".repeat(16) + "-resolv.conf\n").find());
    }

    @Test
    void aGenpolicyStyleEnvRuleDeniesAValueEndingInNewline() throws Exception {
        RegoPolicy policy = RegoPolicy.compile(List.of("""
                package p
                import rego.v1
                allow_env_regex := ["^HOSTNAME=[a-zA-Z0-9_\\\\.\\\\-]+$", "^[A-Z0-9_\\\\.\\\\-]+_SERVICE_HOST=((25[0-5]|(2[0-4]|1\\\\d|[1-9]|)\\\\d)\\\\.?\\\\b){4}$"]
                default allow := false
                allow if every v in input.env { some p in allow_env_regex; regex.match(p, v) }
                """));
        String ok = policy.query("data.p.allow", JSON.readTree("{\"env\":[\"HOSTNAME=web-0\",\"A_SERVICE_HOST=10.0.0.1\"]}"),
                JSON.createObjectNode()).value().orElseThrow().toString();
        assertEquals("true", ok);
        for (String bad : List.of("HOSTNAME=web-0\\n", "A_SERVICE_HOST=10.0.0.1\\n", "HOSTNAME=web-0\\u2028",
                "A_SERVICE_HOST=10.0.0.1\\r\\n")) {
            String got = policy.query("data.p.allow", JSON.readTree("{\"env\":[\"" + bad + "\"]}"), JSON.createObjectNode())
                    .value().orElseThrow().toString();
            assertEquals("false", got, bad);
        }
        // Rust's \d is Unicode: regorus allows Arabic-Indic digits here, and so do we
        String arabic = policy.query("data.p.allow", JSON.readTree("{\"env\":[\"A_SERVICE_HOST=1.2.3.\\u0663\"]}"),
                JSON.createObjectNode()).value().orElseThrow().toString();
        assertEquals("true", arabic);
    }
}
