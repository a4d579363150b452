package org.cvmagent.agent.policy;

import com.google.protobuf.Message;

import java.nio.file.Path;

/**
 * A policy file is present but this build cannot evaluate it. Failing open would hand the host
 * every request the policy's author meant to block, so every request is denied instead.
 */
public final class UnevaluablePolicy implements PolicyEngine {

    private final Path file;
    private final String reason;

    public UnevaluablePolicy(Path file, String reason) {
        this.file = file;
        this.reason = reason;
    }

    @Override
    public PolicyDecision evaluate(String requestType, Message request) {
        return PolicyDecision.deny("policy " + file + " cannot be evaluated: " + reason);
    }
}
