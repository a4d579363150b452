package org.cvmagent.agent.policy.rego;

import com.fasterxml.jackson.databind.JsonNode;

/** JSON equality where numbers compare by value (1 == 1.0), as Rego compares them. */
final class JsonEquality {
    private JsonEquality() {
    }

    static boolean equal(JsonNode a, JsonNode b) {
        if (a == null || b == null) {
            return a == b;
        }
        return Values.fromJson(a).equals(Values.fromJson(b)) && a.getNodeType() == b.getNodeType();
    }
}
