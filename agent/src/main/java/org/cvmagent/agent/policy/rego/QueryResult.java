package org.cvmagent.agent.policy.rego;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Optional;

/** The value of a queried rule (empty when undefined) and the print() output gathered, in order. */
public record QueryResult(Optional<JsonNode> value, List<String> prints) {
    public QueryResult {
        prints = List.copyOf(prints);
    }
}
