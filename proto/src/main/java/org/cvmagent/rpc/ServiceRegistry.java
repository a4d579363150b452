package org.cvmagent.rpc;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The services one server exposes, by fully qualified service name. Immutable. */
public final class ServiceRegistry {

    private final Map<String, ServiceBinding> services;

    public ServiceRegistry(List<ServiceBinding> bindings) {
        Map<String, ServiceBinding> byName = new LinkedHashMap<>();
        for (ServiceBinding binding : bindings) {
            if (byName.putIfAbsent(binding.serviceName(), binding) != null) {
                throw new IllegalArgumentException("service registered twice: " + binding.serviceName());
            }
        }
        this.services = Map.copyOf(byName);
    }

    public Optional<ServiceBinding> service(String name) {
        return Optional.ofNullable(services.get(name));
    }

    public Collection<ServiceBinding> services() {
        return services.values();
    }
}
