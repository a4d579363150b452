package org.cvmagent.agent.server;

import org.cvmagent.agent.config.AgentConfig;
import org.cvmagent.agent.policy.EndpointGate;
import org.cvmagent.agent.policy.PolicyEngine;
import org.cvmagent.agent.policy.PolicyGate;
import org.cvmagent.agent.policy.UnevaluablePolicy;
import org.cvmagent.agent.service.AgentServiceBinding;
import org.cvmagent.agent.service.AgentVersion;
import org.cvmagent.agent.service.GuestDetailsHandler;
import org.cvmagent.agent.service.GuestMemoryInfo;
import org.cvmagent.agent.service.HealthService;
import org.cvmagent.agent.service.SandboxHandlers;
import org.cvmagent.rpc.CallGate;
import org.cvmagent.rpc.CallGates;
import org.cvmagent.rpc.Dispatcher;
import org.cvmagent.rpc.ServiceRegistry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Assembles the agent's services and gates into the one {@link Dispatcher} both protocols use.
 */
public final class AgentServices {

    private static final System.Logger LOG = System.getLogger("org.cvmagent.agent.server");

    private AgentServices() {
    }

    /**
     * @param memorySysfs normally {@code /sys/devices/system/memory}
     * @param initDaemon  whether the agent runs as the guest's init (PID 1)
     */
    public static Dispatcher dispatcher(AgentConfig config, Path memorySysfs, boolean initDaemon,
                                        SandboxHandlers sandbox) {
        return dispatcher(config, memorySysfs, initDaemon, policyEngine(config.policyFile()), Optional.of(sandbox));
    }

    /** Without a sandbox: the container methods answer UNIMPLEMENTED (for tests of the gates). */
    public static Dispatcher dispatcher(AgentConfig config, Path memorySysfs, boolean initDaemon,
                                        PolicyEngine policy) {
        return dispatcher(config, memorySysfs, initDaemon, policy, Optional.empty());
    }

    public static Dispatcher dispatcher(AgentConfig config, Path memorySysfs, boolean initDaemon,
                                        PolicyEngine policy, Optional<SandboxHandlers> sandbox) {
        AgentVersion version = AgentVersion.fromBuild();
        var guestDetails = new GuestDetailsHandler(new GuestMemoryInfo(memorySysfs), version, initDaemon,
                List.of(), sandbox.map(SandboxHandlers::storageDrivers).orElse(List.of()));
        ServiceRegistry registry = new ServiceRegistry(List.of(
                new AgentServiceBinding(guestDetails, sandbox).binding(),
                new HealthService(version).binding()));
        List<CallGate> gates = new ArrayList<>();
        config.allowedEndpoints().ifPresent(allowed -> gates.add(new EndpointGate(allowed)));
        gates.add(new PolicyGate(policy));
        return new Dispatcher(registry, CallGates.all(gates));
    }

    /**
     * No policy file: allow everything, as kata-agent does without a policy. A policy file this
     * build cannot evaluate: deny everything rather than ignore the owner's policy.
     */
    public static PolicyEngine policyEngine(Path policyFile) {
        if (Files.exists(policyFile)) {
            LOG.log(System.Logger.Level.WARNING, "policy " + policyFile
                    + " is present but this agent has no Rego engine yet: every request will be denied");
            return new UnevaluablePolicy(policyFile, "this agent build has no Rego engine");
        }
        LOG.log(System.Logger.Level.INFO, "no agent policy at " + policyFile + ": every request is allowed");
        return PolicyEngine.NONE;
    }
}
