package org.cvmagent.agent.server;

import org.cvmagent.agent.config.AgentConfig;
import org.cvmagent.agent.config.ConfigException;
import org.cvmagent.agent.config.TrustMode;
import org.cvmagent.agent.initdata.MeasuredInitData;
import org.cvmagent.agent.policy.EndpointGate;
import org.cvmagent.agent.policy.PolicyEngine;
import org.cvmagent.agent.policy.PolicyGate;
import org.cvmagent.agent.policy.PolicySource;
import org.cvmagent.agent.policy.RegoCompiler;
import org.cvmagent.agent.policy.RegoPolicyEngine;
import org.cvmagent.agent.policy.ReplaceablePolicy;
import org.cvmagent.agent.policy.UnevaluablePolicy;
import org.cvmagent.agent.service.AgentServiceBinding;
import org.cvmagent.agent.service.AgentVersion;
import org.cvmagent.agent.service.GuestDetailsHandler;
import org.cvmagent.agent.service.GuestMemoryInfo;
import org.cvmagent.agent.service.HealthService;
import org.cvmagent.agent.service.SandboxHandlers;
import org.cvmagent.agent.service.SetPolicyHandler;
import org.cvmagent.proto.agent.AgentServiceGrpc;
import org.cvmagent.rpc.CallGate;
import org.cvmagent.rpc.CallGates;
import org.cvmagent.rpc.DeferredBinding;
import org.cvmagent.rpc.Dispatcher;
import org.cvmagent.rpc.ServiceBinding;
import org.cvmagent.rpc.ServiceRegistry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Assembles the agent's services and gates into the one {@link Dispatcher} both protocols use.
 */
public final class AgentServices {

    private static final System.Logger LOG = System.getLogger("org.cvmagent.agent.server");

    private AgentServices() {
    }

    /** Without a sandbox: the container methods answer UNIMPLEMENTED (for tests of the gates). */
    public static Dispatcher dispatcher(AgentConfig config, Path memorySysfs, boolean initDaemon,
                                        PolicyEngine policy) {
        return dispatcher(config, memorySysfs, initDaemon, policy, Optional.empty());
    }

    /**
     * @param memorySysfs normally {@code /sys/devices/system/memory}
     * @param initDaemon  whether the agent runs as the guest's init (PID 1)
     */
    public static Dispatcher dispatcher(AgentConfig config, Path memorySysfs, boolean initDaemon,
                                        PolicyEngine policy, Optional<SandboxHandlers> sandbox) {
        return dispatcher(config, policy, agentService(memorySysfs, initDaemon, policy, sandbox));
    }

    /**
     * The dispatcher of an agent that serves Health at once and kata's AgentService once
     * {@code agentService} is completed ({@link DeferredBinding}): calls meanwhile pass the gates,
     * then wait.
     */
    public static Dispatcher deferredDispatcher(AgentConfig config, PolicyEngine policy,
                                                CompletableFuture<ServiceBinding> agentService) {
        return dispatcher(config, policy, DeferredBinding.of(AgentServiceGrpc.getServiceDescriptor(),
                SandboxHandlers.REDACTABLE_METHODS, agentService));
    }

    /** kata's AgentService with these handlers; see {@link #dispatcher(AgentConfig, Path, boolean, PolicyEngine, Optional)}. */
    public static ServiceBinding agentService(Path memorySysfs, boolean initDaemon, PolicyEngine policy,
                                              Optional<SandboxHandlers> sandbox) {
        AgentVersion version = AgentVersion.fromBuild();
        var guestDetails = new GuestDetailsHandler(new GuestMemoryInfo(memorySysfs), version, initDaemon,
                List.of(), sandbox.map(SandboxHandlers::storageDrivers).orElse(List.of()));
        // SetPolicy is served only by an engine that can replace its policy; elsewhere it stays
        // UNIMPLEMENTED, like every method this agent does not serve
        Optional<SetPolicyHandler> setPolicy = policy instanceof ReplaceablePolicy replaceable
                ? Optional.of(new SetPolicyHandler(replaceable)) : Optional.empty();
        return new AgentServiceBinding(guestDetails, sandbox, setPolicy).binding();
    }

    private static Dispatcher dispatcher(AgentConfig config, PolicyEngine policy, ServiceBinding agentService) {
        ServiceRegistry registry = new ServiceRegistry(List.of(agentService,
                new HealthService(AgentVersion.fromBuild()).binding()));
        List<CallGate> gates = new ArrayList<>();
        config.allowedEndpoints().ifPresent(allowed -> gates.add(new EndpointGate(allowed)));
        gates.add(new PolicyGate(policy));
        return new Dispatcher(registry, CallGates.all(gates));
    }

    /**
     * The agent's policy engine. With a Rego engine: kata's semantics ({@link RegoPolicyEngine})
     * starting from the {@link PolicySource} (init-data, else the policy file, else none: allow
     * all until SetPolicy in development mode). Without one: {@link #policyEngine(Path)}'s
     * behaviour, a policy from init-data counting as a policy file present.
     *
     * @throws IOException     when the policy file cannot be read
     * @throws ConfigException in confidential mode without any policy: no policy is no service
     */
    public static PolicyEngine policyEngine(Path policyFile, Optional<RegoCompiler> compiler,
                                            Optional<MeasuredInitData> initData, TrustMode mode)
            throws IOException, ConfigException {
        Optional<PolicySource> source = PolicySource.resolve(policyFile, initData);
        if (source.isEmpty() && mode == TrustMode.CONFIDENTIAL) {
            throw new ConfigException("confidential mode: no agent policy (no policy.rego in init-data and no "
                    + policyFile + "): refusing to serve rather than allow every request");
        }
        if (compiler.isEmpty()) {
            if (source.isPresent() && !source.get().origin().equals(policyFile.toString())) {
                LOG.log(System.Logger.Level.WARNING, "policy from " + source.get().origin()
                        + " but this agent has no Rego engine: every request will be denied");
                return new UnevaluablePolicy(Path.of(source.get().origin()), "this agent build has no Rego engine");
            }
            return policyEngine(policyFile);
        }
        RegoPolicyEngine engine = new RegoPolicyEngine(compiler.get());
        if (source.isPresent()) {
            // compiled while the agent starts serving; gated requests wait for it
            engine.loadInitialConcurrently(source.get().text(), source.get().origin());
            LOG.log(System.Logger.Level.INFO, "agent policy from " + source.get().origin());
        } else {
            LOG.log(System.Logger.Level.INFO, "no agent policy at " + policyFile
                    + ": every request is allowed until SetPolicy sets one");
        }
        return engine;
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
