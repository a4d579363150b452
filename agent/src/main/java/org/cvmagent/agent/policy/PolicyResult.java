package org.cvmagent.agent.policy;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Optional;

/**
 * What {@code data.agent_policy.<RequestType>} evaluated to, read as kata-agent reads it: a
 * boolean, or an object {@code {"allowed": bool, "ops": [JSON patch]}} whose ops update the policy
 * state when the request is allowed. Anything else is an error, which denies.
 *
 * @param allowed the policy's verdict
 * @param ops     the state update to apply when allowed
 */
public record PolicyResult(boolean allowed, Optional<JsonNode> ops) {

    /**
     * @param value the query result, empty when undefined (a deny)
     * @throws IllegalArgumentException for a value of any other shape
     */
    public static PolicyResult of(Optional<JsonNode> value) {
        if (value.isEmpty()) {
            return new PolicyResult(false, Optional.empty());
        }
        JsonNode result = value.get();
        if (result.isBoolean()) {
            return new PolicyResult(result.booleanValue(), Optional.empty());
        }
        if (result.isObject()) {
            JsonNode allowed = result.get("allowed");
            if (allowed == null || !allowed.isBoolean()) {
                throw new IllegalArgumentException("policy result object without a boolean 'allowed': " + result);
            }
            JsonNode ops = result.get("ops");
            if (ops != null && !ops.isNull() && !ops.isArray()) {
                throw new IllegalArgumentException("policy result 'ops' is not a JSON patch array: " + ops);
            }
            return new PolicyResult(allowed.booleanValue(),
                    ops == null || ops.isNull() ? Optional.empty() : Optional.of(ops));
        }
        throw new IllegalArgumentException("unexpected policy result type: " + result);
    }
}
