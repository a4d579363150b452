package org.cvmagent.agent.policy;

import com.google.protobuf.Message;

/**
 * Evaluates the agent policy for one request, as kata-agent queries
 * {@code data.agent_policy.<RequestType>}. Implementations fail closed: anything but a clear
 * "allowed" is a denial.
 */
@FunctionalInterface
public interface PolicyEngine {

    /**
     * @param requestType the request message's name, e.g. {@code CreateContainerRequest}
     * @param request     the decoded request
     */
    PolicyDecision evaluate(String requestType, Message request);

    /** No policy configured: kata-agent allows every request in that case. */
    PolicyEngine NONE = (requestType, request) -> PolicyDecision.allow();
}
