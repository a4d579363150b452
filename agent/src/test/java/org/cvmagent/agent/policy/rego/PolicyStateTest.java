package org.cvmagent.agent.policy.rego;

import org.cvmagent.agent.policy.JsonPatch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Newer genpolicy rules keep state: a decision {allowed, ops} whose JSON-patch ops the agent
 * applies under data.pstate before the next request. Modelled on kata's state_allows helpers.
 */
class PolicyStateTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String POLICY = """
            package agent_policy
            import future.keywords.in

            default CreateContainerRequest := {"allowed": false}

            CreateContainerRequest := {"ops": ops, "allowed": true} {
                s_name := input.sandbox_name
                state_allows("sandbox_name", s_name)
                ops := concat_op_if_not_null([], add_op("sandbox_name", s_name))
            }

            state_allows(key, value) {
                not get_state_val(key)
            }
            state_allows(key, value) {
                get_state_val(key) == value
            }

            get_state() := data.pstate
            get_state_val(key) := value {
                value := get_state()[key]
            }

            add_op(key, value) := {"op": "add", "path": concat("/", ["/pstate", key]), "value": value} {
                not get_state_val(key)
            }
            add_op(key, value) := null {
                get_state_val(key)
            }

            concat_op_if_not_null(ops, op) := ops { op == null }
            concat_op_if_not_null(ops, op) := array.concat(ops, [op]) { op != null }
            """;

    @Test
    void stateCarriesAcrossRequestsThroughJsonPatch() throws Exception {
        RegoPolicy p = RegoPolicy.compile(List.of(POLICY));
        JsonNode data = JSON.createObjectNode().set("pstate", JSON.createObjectNode());
        String path = "data.agent_policy.CreateContainerRequest";

        JsonNode first = p.query(path, JSON.readTree("{\"sandbox_name\": \"a\"}"), data).value().orElseThrow();
        assertEquals(JSON.readTree("{\"allowed\": true, \"ops\": [{\"op\": \"add\", \"path\": \"/pstate/sandbox_name\","
                + " \"value\": \"a\"}]}"), first);
        data = JsonPatch.apply(data, first.get("ops"));
        assertEquals(JSON.readTree("{\"pstate\": {\"sandbox_name\": \"a\"}}"), data);

        JsonNode same = p.query(path, JSON.readTree("{\"sandbox_name\": \"a\"}"), data).value().orElseThrow();
        assertEquals(JSON.readTree("{\"allowed\": true, \"ops\": []}"), same);

        JsonNode other = p.query(path, JSON.readTree("{\"sandbox_name\": \"b\"}"), data).value().orElseThrow();
        assertEquals(JSON.readTree("{\"allowed\": false}"), other);
    }
}
