package org.cvmagent.agent.policy.rego;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** The targets a policy's `__target__` may name, by name; immutable. */
public final class TargetRegistry {
    private final Map<String, Target> targets;

    private TargetRegistry(Map<String, Target> targets) {
        this.targets = Map.copyOf(targets);
    }

    public static TargetRegistry of(Collection<Target> targets) throws RegoException {
        Map<String, Target> byName = new TreeMap<>();
        for (Target t : targets) {
            if (byName.putIfAbsent(t.name(), t) != null) {
                throw new RegoException("target " + t.name() + " registered twice");
            }
        }
        return new TargetRegistry(byName);
    }

    Optional<Target> get(String name) {
        return Optional.ofNullable(targets.get(name));
    }
}
