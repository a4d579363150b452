package org.cvmagent.agent.cli;

import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import org.cvmagent.proto.agent.AgentServiceGrpc;
import org.cvmagent.proto.agent.HealthGrpc;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The methods the CLI can call, found by bare name ({@code CreateContainer}, searched in
 * AgentService then Health), by full name ({@code grpc.Health/Check}), case-insensitively.
 */
public final class MethodCatalog {

    private final List<MethodDescriptor<?, ?>> methods = new ArrayList<>();

    public MethodCatalog(List<ServiceDescriptor> services) {
        services.forEach(s -> methods.addAll(s.getMethods()));
    }

    public static MethodCatalog agentServices() {
        return new MethodCatalog(List.of(AgentServiceGrpc.getServiceDescriptor(), HealthGrpc.getServiceDescriptor()));
    }

    public List<MethodDescriptor<?, ?>> all() {
        return List.copyOf(methods);
    }

    public Optional<MethodDescriptor<?, ?>> find(String name) {
        String wanted = name.toLowerCase(Locale.ROOT);
        for (MethodDescriptor<?, ?> method : methods) {
            if (method.getFullMethodName().toLowerCase(Locale.ROOT).equals(wanted)) {
                return Optional.of(method);
            }
        }
        for (MethodDescriptor<?, ?> method : methods) {
            if (method.getBareMethodName() != null
                    && method.getBareMethodName().toLowerCase(Locale.ROOT).equals(wanted)) {
                return Optional.of(method);
            }
        }
        return Optional.empty();
    }
}
