package org.cvmagent.agent.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import org.cvmagent.agent.log.LogLevel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Builds the {@link AgentConfig}: defaults, then the TOML config file (kata's key names; from
 * {@code --config} or {@code agent.config_file=}), then {@code agent.*} options of the kernel
 * command line, then the environment ({@code KATA_AGENT_SERVER_ADDR}, {@code KATA_AGENT_LOG_LEVEL}).
 * Invalid values stop the agent with a message naming the setting, as kata-agent does.
 */
public final class ConfigLoader {

    private static final System.Logger LOG = System.getLogger("org.cvmagent.agent.config");

    /** Keys of kata's agent config file that this agent reads. */
    private static final Set<String> FILE_KEYS = Set.of("server_addr", "grpc_server_addr", "log_level",
            "dev_mode", "debug_console", "hotplug_timeout", "container_pipe_size",
            "unified_cgroup_hierarchy", "policy_file", "endpoints", "oci_runtime", "sandbox_root", "state_dir",
            "confidential", "test_image");
    /** Keys kata's config file knows that this agent does not act on (yet); accepted, logged. */
    private static final Set<String> FILE_KEYS_NOT_USED = Set.of("debug_console_vport", "log_vport",
            "passfd_listener_port", "tracing", "supports_seccomp", "https_proxy", "no_proxy",
            "guest_components_rest_api", "guest_components_procs", "image_registry_auth",
            "enable_signature_verification", "image_policy_file", "secure_storage_integrity",
            "cdh_api_timeout", "mem_agent");

    private final Map<String, String> environment;

    public ConfigLoader(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    /**
     * @param configFile  from {@code --config}, if given
     * @param cmdline     the kernel command line text (contents of /proc/cmdline)
     */
    public AgentConfig load(Optional<Path> configFile, String cmdline) throws ConfigException {
        return loadForStart(configFile, cmdline).agent();
    }

    /**
     * The settings and the mode they were read in. The mode comes from the file given with
     * {@code --config} (the image's /init or unit passes it, so it is on the measured root disk):
     * {@code confidential = true} there, and only there, makes the agent confidential. A file named
     * by the kernel command line ({@code agent.config_file=}) is the host's and is read in
     * development mode only.
     */
    public StartConfig loadForStart(Optional<Path> configFile, String cmdline) throws ConfigException {
        Builder config = new Builder(AgentConfig.defaults());
        KernelCmdline params = KernelCmdline.parse(cmdline);
        TrustMode mode = TrustMode.DEVELOPMENT;
        boolean testImage = false;
        JsonNode root = null;
        if (configFile.isPresent()) {
            root = readFile(configFile.get());
            mode = bool(root, "confidential", " in " + configFile.get()).orElse(false)
                    ? TrustMode.CONFIDENTIAL : TrustMode.DEVELOPMENT;
            testImage = bool(root, "test_image", " in " + configFile.get()).orElse(false);
        }
        HostInputs host = new HostInputs(params, environment).forMode(mode);
        if (root != null) {
            applyFile(config, root, configFile.get());
        } else {
            Optional<Path> hostFile = params.value("agent.config_file").map(Path::of);
            if (hostFile.isPresent()) {
                JsonNode hostRoot = readFile(hostFile.get());
                if (bool(hostRoot, "confidential", " in " + hostFile.get()).orElse(false)) {
                    LOG.log(System.Logger.Level.WARNING, "agent.config_file=" + hostFile.get() + " says confidential"
                            + " = true, but only a --config file of the image's own init makes the agent confidential");
                }
                applyFile(config, hostRoot, hostFile.get());
            }
        }
        applyCmdline(config, host.cmdline());
        applyEnvironment(config, host.environment());
        AgentConfig agent = config.build();
        if (mode == TrustMode.CONFIDENTIAL && agent.grpcServerAddr().isPresent()
                && !agent.grpcServerAddr().get().startsWith("unix://")) {
            throw new ConfigException("confidential mode: grpc_server_addr " + agent.grpcServerAddr().get()
                    + " would be an unauthenticated network listener; only a unix:// address is allowed");
        }
        if (testImage && mode != TrustMode.CONFIDENTIAL) {
            LOG.log(System.Logger.Level.INFO, "test_image has no effect without confidential = true");
        }
        return new StartConfig(agent, mode, testImage && mode == TrustMode.CONFIDENTIAL, host);
    }

    private static JsonNode readFile(Path file) throws ConfigException {
        try {
            return new TomlMapper().readTree(Files.readString(file));
        } catch (IOException e) {
            throw new ConfigException("cannot read agent config file " + file + ": " + e.getMessage(), e);
        }
    }

    private static void applyFile(Builder config, JsonNode root, Path file) throws ConfigException {
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String key = names.next();
            if (FILE_KEYS_NOT_USED.contains(key)) {
                LOG.log(System.Logger.Level.INFO, "config file " + file + ": '" + key + "' is not used by this agent");
            } else if (!FILE_KEYS.contains(key)) {
                LOG.log(System.Logger.Level.WARNING, "config file " + file + ": unknown key '" + key + "' ignored");
            }
        }
        String where = " in " + file;
        text(root, "server_addr", where).ifPresent(v -> config.serverAddr = v);
        text(root, "grpc_server_addr", where).ifPresent(v -> config.grpcServerAddr = Optional.of(v));
        Optional<String> level = text(root, "log_level", where);
        if (level.isPresent()) {
            config.logLevel = logLevel(level.get(), "log_level" + where);
        }
        bool(root, "dev_mode", where).ifPresent(v -> config.devMode = v);
        bool(root, "debug_console", where).ifPresent(v -> config.debugConsole = v);
        bool(root, "unified_cgroup_hierarchy", where).ifPresent(v -> config.unifiedCgroupHierarchy = v);
        JsonNode timeout = root.get("hotplug_timeout");
        if (timeout != null) {
            config.hotplugTimeout = duration(timeout.asText(), "hotplug_timeout" + where);
        }
        JsonNode pipe = root.get("container_pipe_size");
        if (pipe != null) {
            config.containerPipeSize = pipeSize(pipe.asText(), "container_pipe_size" + where);
        }
        text(root, "policy_file", where).ifPresent(v -> config.policyFile = Path.of(v));
        Optional<String> runtime = text(root, "oci_runtime", where);
        if (runtime.isPresent()) {
            config.ociRuntime = RuntimeConfig.runtimeBinary(runtime.get(), "oci_runtime" + where);
        }
        Optional<String> sandboxRoot = text(root, "sandbox_root", where);
        if (sandboxRoot.isPresent()) {
            config.sandboxRoot = RuntimeConfig.absolute(sandboxRoot.get(), "sandbox_root" + where);
        }
        Optional<String> stateDir = text(root, "state_dir", where);
        if (stateDir.isPresent()) {
            config.stateDir = RuntimeConfig.absolute(stateDir.get(), "state_dir" + where);
        }
        JsonNode endpoints = root.get("endpoints");
        if (endpoints != null) {
            JsonNode allowed = endpoints.get("allowed");
            if (allowed == null || !allowed.isArray()) {
                throw new ConfigException("[endpoints] needs an 'allowed' array" + where);
            }
            Set<String> names = new LinkedHashSet<>();
            allowed.forEach(n -> names.add(n.asText()));
            config.allowedEndpoints = Optional.of(names);
        }
    }

    private static Optional<String> text(JsonNode root, String key, String where) throws ConfigException {
        JsonNode node = root.get(key);
        if (node == null) {
            return Optional.empty();
        }
        if (!node.isTextual()) {
            throw new ConfigException("'" + key + "' must be a string" + where);
        }
        return Optional.of(node.asText());
    }

    private static Optional<Boolean> bool(JsonNode root, String key, String where) throws ConfigException {
        JsonNode node = root.get(key);
        if (node == null) {
            return Optional.empty();
        }
        if (!node.isBoolean()) {
            throw new ConfigException("'" + key + "' must be true or false" + where);
        }
        return Optional.of(node.asBoolean());
    }

    private static void applyCmdline(Builder config, KernelCmdline params) throws ConfigException {
        if (params.flag("agent.devmode")) {
            config.devMode = true;
        }
        if (params.flag("agent.debug_console")) {
            config.debugConsole = true;
        }
        Optional<String> addr = params.value("agent.server_addr");
        if (addr.isPresent()) {
            config.serverAddr = addr.get();
        }
        Optional<String> grpc = params.value("agent.grpc_server_addr");
        if (grpc.isPresent()) {
            config.grpcServerAddr = grpc;
        }
        Optional<String> level = params.value("agent.log");
        if (level.isPresent()) {
            config.logLevel = logLevel(level.get(), "agent.log");
        }
        Optional<String> timeout = params.value("agent.hotplug_timeout");
        if (timeout.isPresent()) {
            config.hotplugTimeout = duration(timeout.get(), "agent.hotplug_timeout");
        }
        Optional<String> pipe = params.value("agent.container_pipe_size");
        if (pipe.isPresent()) {
            config.containerPipeSize = pipeSize(pipe.get(), "agent.container_pipe_size");
        }
        Optional<String> unified = params.value("agent.unified_cgroup_hierarchy");
        if (unified.isPresent()) {
            config.unifiedCgroupHierarchy = kataBool(unified.get());
        }
        Optional<String> runtime = params.value("agent.oci_runtime");
        if (runtime.isPresent()) {
            config.ociRuntime = RuntimeConfig.runtimeBinary(runtime.get(), "agent.oci_runtime");
        }
        Optional<String> policy = params.value("agent.policy_file");
        if (policy.isPresent()) {
            config.policyFile = Path.of(policy.get());
        }
    }

    private static void applyEnvironment(Builder config, Map<String, String> environment) throws ConfigException {
        String addr = environment.get("KATA_AGENT_SERVER_ADDR");
        if (addr != null && !addr.isBlank()) {
            config.serverAddr = addr.trim();
        }
        String level = environment.get("KATA_AGENT_LOG_LEVEL");
        if (level != null && !level.isBlank()) {
            config.logLevel = logLevel(level, "KATA_AGENT_LOG_LEVEL");
        }
        String grpc = environment.get("CVM_AGENT_GRPC_SERVER_ADDR");
        if (grpc != null && !grpc.isBlank()) {
            config.grpcServerAddr = Optional.of(grpc.trim());
        }
        String runtime = environment.get("CVM_AGENT_OCI_RUNTIME");
        if (runtime != null && !runtime.isBlank()) {
            config.ociRuntime = RuntimeConfig.runtimeBinary(runtime, "CVM_AGENT_OCI_RUNTIME");
        }
        String sandboxRoot = environment.get("CVM_AGENT_SANDBOX_ROOT");
        if (sandboxRoot != null && !sandboxRoot.isBlank()) {
            config.sandboxRoot = RuntimeConfig.absolute(sandboxRoot, "CVM_AGENT_SANDBOX_ROOT");
        }
        String stateDir = environment.get("CVM_AGENT_STATE_DIR");
        if (stateDir != null && !stateDir.isBlank()) {
            config.stateDir = RuntimeConfig.absolute(stateDir, "CVM_AGENT_STATE_DIR");
        }
        String policy = environment.get("KATA_AGENT_POLICY_FILE");
        if (policy != null && !policy.isBlank()) {
            config.policyFile = Path.of(policy.trim());
        }
    }

    private static LogLevel logLevel(String value, String setting) throws ConfigException {
        try {
            return LogLevel.parse(value);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(setting + ": " + e.getMessage());
        }
    }

    static Duration duration(String value, String setting) throws ConfigException {
        Duration parsed;
        try {
            parsed = DurationText.parse(value);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(setting + ": " + e.getMessage());
        }
        if (parsed.isNegative() || parsed.isZero()) {
            throw new ConfigException(setting + " must be positive, got '" + value + "'");
        }
        return parsed;
    }

    private static int pipeSize(String value, String setting) throws ConfigException {
        try {
            int size = Integer.parseInt(value.trim());
            if (size < 0) {
                throw new ConfigException(setting + " should not be negative, got " + size);
            }
            return size;
        } catch (NumberFormatException e) {
            throw new ConfigException(setting + ": not a number: '" + value + "'");
        }
    }

    /** kata reads booleans as true/false or as a number (non-zero = true); anything else is false. */
    static boolean kataBool(String value) {
        String v = value.trim();
        if (v.equalsIgnoreCase("true")) {
            return true;
        }
        try {
            return Long.parseLong(v) != 0;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** Mutable staging for the layered settings. */
    private static final class Builder {
        String serverAddr;
        Optional<String> grpcServerAddr;
        LogLevel logLevel;
        boolean devMode;
        boolean debugConsole;
        Duration hotplugTimeout;
        int containerPipeSize;
        boolean unifiedCgroupHierarchy;
        Path policyFile;
        Optional<Set<String>> allowedEndpoints;
        Path ociRuntime;
        Path sandboxRoot;
        Path stateDir;

        Builder(AgentConfig base) {
            serverAddr = base.serverAddr();
            grpcServerAddr = base.grpcServerAddr();
            logLevel = base.logLevel();
            devMode = base.devMode();
            debugConsole = base.debugConsole();
            hotplugTimeout = base.hotplugTimeout();
            containerPipeSize = base.containerPipeSize();
            unifiedCgroupHierarchy = base.unifiedCgroupHierarchy();
            policyFile = base.policyFile();
            allowedEndpoints = base.allowedEndpoints();
            ociRuntime = base.runtime().ociRuntime();
            sandboxRoot = base.runtime().sandboxRoot();
            stateDir = base.runtime().stateDir();
        }

        AgentConfig build() {
            // kata: dev mode implies debug logging
            LogLevel level = devMode && logLevel.compareTo(LogLevel.DEBUG) > 0 ? LogLevel.DEBUG : logLevel;
            return new AgentConfig(serverAddr, grpcServerAddr, level, devMode, debugConsole, hotplugTimeout,
                    containerPipeSize, unifiedCgroupHierarchy, policyFile, allowedEndpoints,
                    new RuntimeConfig(ociRuntime, sandboxRoot, stateDir));
        }
    }

}
