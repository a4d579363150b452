package org.cvmagent.agent.service;

import org.cvmagent.proto.agent.AgentServiceGrpc;
import org.cvmagent.rpc.ServiceBinding;

import java.util.Optional;

/**
 * kata's {@code grpc.AgentService} with the handlers this agent implements so far. Every other
 * method of the contract stays declared: it passes the policy gate and answers UNIMPLEMENTED
 * naming the method.
 */
public final class AgentServiceBinding {

    private final GuestDetailsHandler guestDetails;
    private final Optional<SandboxHandlers> sandbox;
    private final Optional<SetPolicyHandler> setPolicy;

    /** @param sandbox the container methods; empty where an agent serves no containers (gate tests) */
    public AgentServiceBinding(GuestDetailsHandler guestDetails, Optional<SandboxHandlers> sandbox) {
        this(guestDetails, sandbox, Optional.empty());
    }

    /** @param setPolicy SetPolicy, where the policy engine can replace its policy */
    public AgentServiceBinding(GuestDetailsHandler guestDetails, Optional<SandboxHandlers> sandbox,
                               Optional<SetPolicyHandler> setPolicy) {
        this.guestDetails = guestDetails;
        this.sandbox = sandbox;
        this.setPolicy = setPolicy;
    }

    public ServiceBinding binding() {
        ServiceBinding.Builder builder = ServiceBinding.of(AgentServiceGrpc.getServiceDescriptor())
                .unary(AgentServiceGrpc.getGetGuestDetailsMethod(), guestDetails::handle);
        sandbox.ifPresent(handlers -> handlers.addTo(builder));
        setPolicy.ifPresent(handler -> builder.unary(AgentServiceGrpc.getSetPolicyMethod(), handler::handle));
        return builder.build();
    }
}
