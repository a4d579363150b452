package org.cvmagent.agent.policy;

import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Finds the Rego engine, when this build has one, through {@link ServiceLoader}: the engine module
 * registers its {@link RegoCompiler} (META-INF/services/org.cvmagent.agent.policy.RegoCompiler),
 * and the agent and CLI pick it up without naming it.
 */
public final class RegoCompilers {

    private RegoCompilers() {
    }

    public static Optional<RegoCompiler> installed() {
        return ServiceLoader.load(RegoCompiler.class).findFirst();
    }
}
