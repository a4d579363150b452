package org.cvmagent.agent.policy;

/** Turns policy text into a {@link RegoEvaluator}; the Rego engine implements it. */
@FunctionalInterface
public interface RegoCompiler {

    /** @throws Exception when the policy does not compile, its message locating the fault (line:column) */
    RegoEvaluator compile(String policySource) throws Exception;
}
