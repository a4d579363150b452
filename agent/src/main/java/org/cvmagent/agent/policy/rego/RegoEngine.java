package org.cvmagent.agent.policy.rego;

import com.fasterxml.jackson.databind.JsonNode;
import org.cvmagent.agent.policy.RegoCompiler;
import org.cvmagent.agent.policy.RegoEvaluator;

import java.time.Duration;
import java.util.List;

/**
 * This agent's Rego engine behind the policy gate's seam: a policy text compiles to a
 * {@link RegoPolicy}, queried per request. Found by {@code RegoCompilers} through ServiceLoader,
 * so the gate does not depend on the engine's package.
 */
public final class RegoEngine implements RegoCompiler {

    @Override
    public RegoEvaluator compile(String policySource) throws RegoException {
        RegoPolicy policy = RegoPolicy.compile(List.of(policySource));
        return (String path, JsonNode input, JsonNode data, Duration timeout) -> {
            QueryResult result = policy.query(path, input, data, timeout);
            return new RegoEvaluator.Evaluation(result.value(), result.prints());
        };
    }
}
