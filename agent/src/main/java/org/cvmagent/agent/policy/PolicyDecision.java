package org.cvmagent.agent.policy;

import java.util.List;

/**
 * What a policy said about one request.
 *
 * @param allowed whether the request may proceed
 * @param prints  output the policy produced while deciding ({@code print} in Rego), for the
 *                denial message and the log
 */
public record PolicyDecision(boolean allowed, List<String> prints) {

    public PolicyDecision {
        prints = List.copyOf(prints);
    }

    public static PolicyDecision allow() {
        return new PolicyDecision(true, List.of());
    }

    public static PolicyDecision deny(String why) {
        return new PolicyDecision(false, List.of(why));
    }
}
