package org.cvmagent.agent.service;

import org.cvmagent.proto.agent.CheckRequest;
import org.cvmagent.proto.agent.HealthCheckResponse;
import org.cvmagent.proto.agent.HealthGrpc;
import org.cvmagent.proto.agent.VersionCheckResponse;
import org.cvmagent.rpc.CallContext;
import org.cvmagent.rpc.ServiceBinding;

/** kata's {@code grpc.Health}: the shim polls Check until SERVING and reads Version once. */
public final class HealthService {

    private final AgentVersion version;

    public HealthService(AgentVersion version) {
        this.version = version;
    }

    public ServiceBinding binding() {
        return ServiceBinding.of(HealthGrpc.getServiceDescriptor())
                .unary(HealthGrpc.getCheckMethod(), this::check)
                .unary(HealthGrpc.getVersionMethod(), this::version)
                .build();
    }

    HealthCheckResponse check(CallContext context, CheckRequest request) {
        return HealthCheckResponse.newBuilder()
                .setStatus(HealthCheckResponse.ServingStatus.SERVING)
                .build();
    }

    VersionCheckResponse version(CallContext context, CheckRequest request) {
        return VersionCheckResponse.newBuilder()
                .setGrpcVersion(version.apiVersion())
                .setAgentVersion(version.agentVersion())
                .build();
    }
}
