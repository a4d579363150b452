package org.cvmagent.agent.sandbox;

import org.cvmagent.proto.agent.Linux;
import org.cvmagent.proto.agent.LinuxNamespace;
import org.cvmagent.proto.agent.Spec;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Which namespaces a new container joins, as kata decides it: the sandbox's persistent IPC and UTS
 * namespaces replace the spec's own, and the PID namespace is the sandbox's when
 * {@code sandbox_pidns} asks for it, else a new one.
 *
 * @param ipc    the sandbox's IPC namespace file, if it has one
 * @param uts    the sandbox's UTS namespace file, if it has one
 * @param pidns  the PID namespace to join; empty for a new one
 */
record NamespacePlan(Optional<Path> ipc, Optional<Path> uts, Optional<Path> pidns) {

    /** The spec with its namespaces rewritten; a spec without namespaces is left alone, as in kata. */
    Spec apply(Spec spec) {
        if (!spec.hasLinux() || spec.getLinux().getNamespacesCount() == 0) {
            return spec;
        }
        Linux.Builder linux = spec.getLinux().toBuilder().clearNamespaces();
        for (LinuxNamespace ns : spec.getLinux().getNamespacesList()) {
            switch (ns.getType()) {
                case "ipc" -> linux.addNamespaces(withPath(ns, ipc));
                case "uts" -> linux.addNamespaces(withPath(ns, uts));
                // One pid entry, ours, below: two would make runc refuse the spec.
                case "pid" -> { }
                default -> linux.addNamespaces(ns);
            }
        }
        linux.addNamespaces(withPath(LinuxNamespace.newBuilder().setType("pid").build(), pidns));
        return spec.toBuilder().setLinux(linux).build();
    }

    private static LinuxNamespace withPath(LinuxNamespace ns, Optional<Path> path) {
        return ns.toBuilder().setPath(path.map(Path::toString).orElse("")).build();
    }
}
