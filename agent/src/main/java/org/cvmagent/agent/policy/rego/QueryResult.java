package org.cvmagent.agent.policy.rego;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Optional;

/** The value of a queried rule (empty when undefined) and the print() output gathered, in order. */
public record QueryResult(Optional<JsonNode> value, List<String> prints) {
    public QueryResult {
        // the engine hands over an unmodifiable log that formats lines when read
        prints = prints instanceof PrintLog ? java.util.Collections.unmodifiableList(prints) : List.copyOf(prints);
    }
}
