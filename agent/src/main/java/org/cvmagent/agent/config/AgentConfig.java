package org.cvmagent.agent.config;

import org.cvmagent.agent.log.LogLevel;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The agent's settings, after the config file, the kernel command line and the environment have
 * been applied in that order (later wins), as kata-agent layers them.
 *
 * @param serverAddr          ttRPC listen address, kata form ({@code agent.server_addr})
 * @param grpcServerAddr      optional gRPC listen address for tools and peer pods (ours)
 * @param logLevel            {@code agent.log}
 * @param devMode             {@code agent.devmode}
 * @param debugConsole        {@code agent.debug_console} (this agent ships no debug console)
 * @param hotplugTimeout      {@code agent.hotplug_timeout}
 * @param containerPipeSize   {@code agent.container_pipe_size}, 0 = kernel default
 * @param unifiedCgroupHierarchy {@code agent.unified_cgroup_hierarchy}
 * @param policyFile          agent policy loaded at start when present
 * @param allowedEndpoints    kata's {@code [endpoints] allowed} list of request type names; empty
 *                            = every endpoint is allowed
 * @param runtime             how containers are run (OCI runtime, directories)
 */
public record AgentConfig(String serverAddr, Optional<String> grpcServerAddr, LogLevel logLevel,
                          boolean devMode, boolean debugConsole, Duration hotplugTimeout,
                          int containerPipeSize, boolean unifiedCgroupHierarchy, Path policyFile,
                          Optional<Set<String>> allowedEndpoints, RuntimeConfig runtime) {

    public static final String DEFAULT_SERVER_ADDR = "vsock://-1:1024";
    public static final Path DEFAULT_POLICY_FILE = Path.of("/etc/kata-opa/default-policy.rego");

    public AgentConfig {
        Objects.requireNonNull(serverAddr, "serverAddr");
        Objects.requireNonNull(grpcServerAddr, "grpcServerAddr");
        Objects.requireNonNull(logLevel, "logLevel");
        Objects.requireNonNull(hotplugTimeout, "hotplugTimeout");
        Objects.requireNonNull(policyFile, "policyFile");
        allowedEndpoints = allowedEndpoints.map(Set::copyOf);
        Objects.requireNonNull(runtime, "runtime");
    }

    public static AgentConfig defaults() {
        return new AgentConfig(DEFAULT_SERVER_ADDR, Optional.empty(), LogLevel.INFO, false, false,
                Duration.ofSeconds(3), 0, false, DEFAULT_POLICY_FILE, Optional.empty(), RuntimeConfig.DEFAULT);
    }

    public AgentConfig withRuntime(RuntimeConfig newRuntime) {
        return new AgentConfig(serverAddr, grpcServerAddr, logLevel, devMode, debugConsole, hotplugTimeout,
                containerPipeSize, unifiedCgroupHierarchy, policyFile, allowedEndpoints, newRuntime);
    }
}
