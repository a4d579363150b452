package org.cvmagent.agent.service;

import org.cvmagent.proto.agent.AgentServiceGrpc;
import org.cvmagent.rpc.ServiceBinding;

/**
 * kata's {@code grpc.AgentService} with the handlers this agent implements so far. Every other
 * method of the contract stays declared: it passes the policy gate and answers UNIMPLEMENTED
 * naming the method.
 */
public final class AgentServiceBinding {

    private final GuestDetailsHandler guestDetails;

    public AgentServiceBinding(GuestDetailsHandler guestDetails) {
        this.guestDetails = guestDetails;
    }

    public ServiceBinding binding() {
        return ServiceBinding.of(AgentServiceGrpc.getServiceDescriptor())
                .unary(AgentServiceGrpc.getGetGuestDetailsMethod(), guestDetails::handle)
                .build();
    }
}
