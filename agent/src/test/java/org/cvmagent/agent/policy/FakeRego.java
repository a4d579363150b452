package org.cvmagent.agent.policy;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A hand-written stand-in for the Rego engine: each "policy source" names an evaluator
 * registered here; a source starting with {@code bad} does not compile.
 */
final class FakeRego implements RegoCompiler {

    /** One rule: the value for an input and the data document. */
    @FunctionalInterface
    interface Rule {
        RegoEvaluator.Evaluation apply(JsonNode input, JsonNode data) throws Exception;
    }

    static final class Policy implements RegoEvaluator {
        private final Map<String, Rule> rules = new HashMap<>();

        Policy rule(String name, Rule rule) {
            rules.put("data.agent_policy." + name, rule);
            return this;
        }

        Policy constant(String name, JsonNode value, String... prints) {
            return rule(name, (input, data) -> new Evaluation(Optional.of(value), List.of(prints)));
        }

        @Override
        public Evaluation query(String path, JsonNode input, JsonNode data, Duration timeout) throws Exception {
            Rule rule = rules.get(path);
            return rule == null ? new Evaluation(Optional.empty(), List.of()) : rule.apply(input, data);
        }
    }

    private final Map<String, RegoEvaluator> policies = new HashMap<>();

    FakeRego with(String source, RegoEvaluator policy) {
        policies.put(source, policy);
        return this;
    }

    @Override
    public RegoEvaluator compile(String policySource) throws Exception {
        if (policySource.startsWith("bad")) {
            throw new IllegalArgumentException("policy.rego:3:7: unexpected token '}'");
        }
        RegoEvaluator policy = policies.get(policySource);
        if (policy == null) {
            throw new IllegalArgumentException("policy.rego:1:1: unknown test policy " + policySource);
        }
        return policy;
    }
}
