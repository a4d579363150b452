package org.cvmagent.agent.service;

import com.google.protobuf.Empty;
import org.cvmagent.agent.policy.PolicyCompileException;
import org.cvmagent.agent.policy.ReplaceablePolicy;
import org.cvmagent.proto.agent.SetPolicyRequest;
import org.cvmagent.rpc.CallContext;
import org.cvmagent.rpc.RpcException;

/**
 * AgentService/SetPolicy: the request has already passed the current policy's
 * {@code SetPolicyRequest} rule in the gate, like every request; a policy that does not compile
 * is INVALID_ARGUMENT with the compiler's message, as kata answers it.
 */
public final class SetPolicyHandler {

    private final ReplaceablePolicy policy;

    public SetPolicyHandler(ReplaceablePolicy policy) {
        this.policy = policy;
    }

    public Empty handle(CallContext context, SetPolicyRequest request) throws RpcException {
        try {
            policy.replace(request.getPolicy());
        } catch (PolicyCompileException e) {
            throw RpcException.invalidArgument("SetPolicyRequest: the policy does not compile: " + e.getMessage());
        }
        return Empty.getDefaultInstance();
    }
}
