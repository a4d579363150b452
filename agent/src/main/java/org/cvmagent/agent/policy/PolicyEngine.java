package org.cvmagent.agent.policy;

import com.google.protobuf.Message;
import org.cvmagent.rpc.MemoryBudget;

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

    /**
     * As {@link #evaluate(String, Message)}, with what the engine builds to decide (the policy
     * input) reserved from {@code memory} before it is built. Engines that build nothing need not
     * override this.
     *
     * @throws org.cvmagent.rpc.MemoryBudgetExceededException when the reservation cannot grow:
     *         the request is then neither allowed nor denied, but refused for now
     */
    default PolicyDecision evaluate(String requestType, Message request, MemoryBudget.Reservation memory) {
        return evaluate(requestType, request);
    }

    /** No policy configured: kata-agent allows every request in that case. */
    PolicyEngine NONE = (requestType, request) -> PolicyDecision.allow();
}
