package org.cvmagent.agent.policy;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * One compiled Rego policy: the seam between the policy gate and the Rego engine
 * ({@code org.cvmagent.agent.policy.rego}), so the gate can be built and tested without it.
 */
public interface RegoEvaluator {

    /**
     * @param path    a reference such as {@code data.agent_policy.CreateContainerRequest}
     * @param input   the document seen as {@code input}
     * @param data    the base document merged under {@code data} (kata puts the policy state at
     *                {@code data.pstate})
     * @param timeout the evaluation must give up after this long
     * @return the value at {@code path}, empty when undefined, and what {@code print} wrote, in order
     * @throws Exception on an evaluation error or timeout
     */
    Evaluation query(String path, JsonNode input, JsonNode data, Duration timeout) throws Exception;

    /** @param prints the policy's {@code print} output, one entry per call, in order */
    record Evaluation(Optional<JsonNode> value, List<String> prints) {
        public Evaluation {
            prints = List.copyOf(prints);
        }
    }
}
