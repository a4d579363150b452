package org.cvmagent.agent.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The host's say over the agent: the kernel command line and the environment (the kernel hands
 * unknown {@code KEY=value} words of its command line to init as environment variables, so in a
 * guest both are the host's). {@link #forMode} keeps, in confidential mode, only what cannot weaken
 * security, and logs every other agent setting it drops with one line naming it.
 *
 * <p>Confidential mode ignores (and logs) rather than refuses to boot: kata runtimes put
 * {@code agent.*} words on every guest's command line by configuration ({@code agent.log},
 * {@code agent.debug_console}, image options, ...), so refusing would break ordinary deployments
 * while gaining nothing, since an ignored setting has no effect. The exception is what has already
 * acted before the agent could look: JVM and dynamic-loader variables, which make start-up fail.
 *
 * @param cmdline     the kernel command line the agent acts on
 * @param environment the environment the agent acts on
 */
public record HostInputs(KernelCmdline cmdline, Map<String, String> environment) {

    /**
     * Kernel parameters a confidential guest still takes from the host: where to listen (every call
     * is gated by the policy anyway; only vsock, virtio-serial and unix sockets), how much to log
     * (the logs never hold secrets), timing and pipe sizes (the host can slow or stop the VM anyway),
     * and init-data, which is only used once its digest matched the TEE's launch field.
     */
    public static final Set<String> CONFIDENTIAL_PARAMETERS = Set.of("agent.server_addr", "agent.log",
            "agent.hotplug_timeout", "agent.container_pipe_size", "agent.initdata");
    /** The environment's equivalents of the listen address and the log level. */
    public static final Set<String> CONFIDENTIAL_ENVIRONMENT = Set.of("KATA_AGENT_SERVER_ADDR", "KATA_AGENT_LOG_LEVEL");
    /** Listen address schemes the host may choose in confidential mode (no network listener). */
    private static final List<String> CONFIDENTIAL_LISTEN_SCHEMES = List.of("vsock://", "serial://", "unix://");
    /** Environment variables that configure the agent, which confidential mode drops and names. */
    private static final List<String> AGENT_ENVIRONMENT_PREFIXES = List.of("KATA_AGENT_", "CVM_AGENT_", "AA_",
            "CDH_", "OCICRYPT_");
    /**
     * Read by the java launcher, the JVM or the dynamic loader before any agent code runs: present in
     * confidential mode they may already have run host code, so the agent refuses to serve. The
     * image's /init starts the JVM with a clean environment, so they never reach a correct image.
     */
    static final Set<String> PRE_START_ENVIRONMENT = Set.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS",
            "CLASSPATH", "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "JAVA_OPTIONS");

    private static final System.Logger LOG = System.getLogger("org.cvmagent.agent.config");

    public HostInputs {
        environment = Map.copyOf(environment);
    }

    /** What the agent may act on in {@code mode}: everything in development, the allow-lists in confidential. */
    public HostInputs forMode(TrustMode mode) throws ConfigException {
        if (mode == TrustMode.DEVELOPMENT) {
            return this;
        }
        Set<String> preStart = new TreeSet<>(environment.keySet());
        preStart.retainAll(PRE_START_ENVIRONMENT);
        if (!preStart.isEmpty()) {
            throw new ConfigException("confidential mode: the JVM was started with host-controlled " + preStart
                    + " in its environment; refusing to serve");
        }
        KernelCmdline kept = cmdline.filter(key -> {
            if (!key.startsWith("agent.")) {
                return true; // the kernel's own parameters: not the agent's to judge
            }
            if (!CONFIDENTIAL_PARAMETERS.contains(key)) {
                ignored("kernel command line parameter " + key);
                return false;
            }
            if (key.equals("agent.server_addr") && !listenable(cmdline.value(key).orElse(""))) {
                ignored("kernel command line parameter agent.server_addr=" + cmdline.value(key).orElse("")
                        + " (only vsock://, serial:// or unix:// addresses)");
                return false;
            }
            return true;
        });
        Map<String, String> env = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : new java.util.TreeMap<>(environment).entrySet()) {
            String name = e.getKey();
            if (CONFIDENTIAL_ENVIRONMENT.contains(name)) {
                if (name.equals("KATA_AGENT_SERVER_ADDR") && !listenable(e.getValue())) {
                    ignored("environment variable KATA_AGENT_SERVER_ADDR=" + e.getValue()
                            + " (only vsock://, serial:// or unix:// addresses)");
                } else {
                    env.put(name, e.getValue());
                }
            } else if (AGENT_ENVIRONMENT_PREFIXES.stream().anyMatch(name::startsWith)) {
                ignored("environment variable " + name);
            } else {
                env.put(name, e.getValue());
            }
        }
        return new HostInputs(kept, env);
    }

    private static boolean listenable(String address) {
        String trimmed = address.trim();
        return CONFIDENTIAL_LISTEN_SCHEMES.stream().anyMatch(trimmed::startsWith);
    }

    private static void ignored(String what) {
        LOG.log(System.Logger.Level.WARNING, "confidential mode: ignoring " + what
                + ": the host may not set it (the image's configuration and measured init-data decide)");
    }
}
