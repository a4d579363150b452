package org.cvmagent.agent.policy;

/** A policy engine whose policy SetPolicy may replace. */
public interface ReplaceablePolicy {

    /**
     * Replaces the policy atomically and resets the policy state.
     *
     * @throws PolicyCompileException when the new policy does not compile; the current one stays
     */
    void replace(String policySource) throws PolicyCompileException;
}
