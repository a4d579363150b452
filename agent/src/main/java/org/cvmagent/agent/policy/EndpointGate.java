package org.cvmagent.agent.policy;

import com.google.protobuf.Message;
import io.grpc.Status;
import org.cvmagent.rpc.BoundMethod;
import org.cvmagent.rpc.CallContext;
import org.cvmagent.rpc.CallGate;
import org.cvmagent.rpc.RpcException;

import java.util.Set;

/**
 * kata-agent's {@code [endpoints] allowed} list: only the listed request types are served; the
 * others answer UNIMPLEMENTED, as kata answers a blocked endpoint.
 */
public final class EndpointGate implements CallGate {

    private final Set<String> allowed;

    public EndpointGate(Set<String> allowed) {
        this.allowed = Set.copyOf(allowed);
    }

    @Override
    public Verdict check(CallContext context, BoundMethod method, Message request) throws RpcException {
        if (!allowed.contains(method.requestTypeName())) {
            throw new RpcException(Status.Code.UNIMPLEMENTED, method.requestTypeName()
                    + " is blocked by the agent's [endpoints] configuration");
        }
        return Verdict.ALLOW;
    }
}
