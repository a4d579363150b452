package org.cvmagent.agent.sandbox;

import org.cvmagent.agent.fs.ScopedPath;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where a sandbox keeps things in the guest. {@code root} is kata's base directory
 * ({@code /run/kata-containers}): the host names storage mount points and container root paths
 * under it, and nothing the host names may leave it. {@code stateDir} is the agent's own
 * ({@code /run/cvm-agent}): container bundles and runc's state, never named by the host.
 */
public record SandboxLayout(Path root, Path stateDir) {

    public static final SandboxLayout DEFAULT = new SandboxLayout(Path.of("/run/kata-containers"),
            Path.of("/run/cvm-agent"));

    public SandboxLayout {
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(stateDir, "stateDir");
        if (!root.isAbsolute() || !stateDir.isAbsolute()) {
            throw new IllegalArgumentException("sandbox directories must be absolute: " + root + ", " + stateDir);
        }
        root = root.normalize();
        stateDir = stateDir.normalize();
    }

    /** kata's sandbox directory: shared namespaces, resolv.conf. */
    public Path sandboxDir() {
        return root.resolve("sandbox");
    }

    /** The directory kata's shim shares container root file systems into. */
    public Path sharedContainersDir() {
        return root.resolve("shared").resolve("containers");
    }

    public Path namespaceFile(String type) {
        return sandboxDir().resolve("ns").resolve(type);
    }

    public Path resolvConf() {
        return sandboxDir().resolve("resolv.conf");
    }

    public Path runcRoot() {
        return stateDir.resolve("runc");
    }

    /** The bundle directory of container {@code id}; the id must be a simple name. */
    public Path bundle(String id) {
        return stateDir.resolve("bundles").resolve(ScopedPath.requireSimpleName(id));
    }

    /**
     * A console socket for runc to hand a pty master over. Named by a number rather than the
     * container id: kata's ids are 64 characters, and a unix socket path must fit in 108 bytes.
     */
    public Path consoleSocket(long sequence) {
        return stateDir.resolve("console").resolve(sequence + ".sock");
    }

    /**
     * The host-named path {@code hostPath} as a path under {@link #root}, with symbolic links
     * resolved as if {@code root} were {@code /} (a scoped join): a root path or mount point the
     * host gave. It must be absolute and lie lexically under the root.
     *
     * @throws IllegalArgumentException when it is relative, contains {@code ..}, or lies elsewhere
     */
    public Path confine(String hostPath) throws IOException {
        Path path = Path.of(hostPath);
        if (!path.isAbsolute()) {
            throw new IllegalArgumentException("'" + hostPath + "' is not an absolute path");
        }
        for (Path part : path) {
            if (part.toString().equals("..")) {
                throw new IllegalArgumentException("'" + hostPath + "' contains '..'");
            }
        }
        if (!path.normalize().startsWith(root)) {
            throw new IllegalArgumentException("'" + hostPath + "' is not under " + root);
        }
        return ScopedPath.join(root, root.relativize(path.normalize()).toString());
    }
}
