package org.cvmagent.agent.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How the agent runs containers.
 *
 * @param ociRuntime  the OCI runtime binary: runc (default) or crun, which take the same commands
 * @param sandboxRoot kata's base directory for what the host names ({@code /run/kata-containers})
 * @param stateDir    the agent's own state: bundles, runc's {@code --root}, console sockets
 */
public record RuntimeConfig(Path ociRuntime, Path sandboxRoot, Path stateDir) {

    public static final RuntimeConfig DEFAULT = new RuntimeConfig(Path.of("/usr/sbin/runc"),
            Path.of("/run/kata-containers"), Path.of("/run/cvm-agent"));

    public RuntimeConfig {
        Objects.requireNonNull(ociRuntime, "ociRuntime");
        Objects.requireNonNull(sandboxRoot, "sandboxRoot");
        Objects.requireNonNull(stateDir, "stateDir");
    }

    /**
     * The runtime named by a setting: {@code runc} or {@code crun} for the Debian binaries, or an
     * absolute path.
     */
    static Path runtimeBinary(String value, String setting) throws ConfigException {
        return switch (value.trim()) {
            case "runc" -> Path.of("/usr/sbin/runc");
            case "crun" -> Path.of("/usr/bin/crun");
            default -> {
                Path path = Path.of(value.trim());
                if (!path.isAbsolute()) {
                    throw new ConfigException(setting + " must be runc, crun or an absolute path, got '" + value + "'");
                }
                yield path;
            }
        };
    }

    static Path absolute(String value, String setting) throws ConfigException {
        Path path = Path.of(value.trim());
        if (!path.isAbsolute()) {
            throw new ConfigException(setting + " must be an absolute path, got '" + value + "'");
        }
        return path;
    }
}
