package org.cvmagent.agent.sandbox;

import org.cvmagent.proto.agent.Linux;
import org.cvmagent.proto.agent.LinuxNamespace;
import org.cvmagent.proto.agent.Spec;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Which namespaces a new container joins, as kata decides it, with one hardening: the sandbox's
 * persistent IPC and UTS namespaces replace the spec's own; the PID namespace is the sandbox's when
 * {@code sandbox_pidns} asks for it, else a new one; and every container gets a new mount
 * namespace. Those two are added even when the spec lists no namespaces (kata leaves such a spec
 * alone, so its container would run in the agent's own PID and mount namespaces: it would see the
 * agent as PID 1 and its mounts would land in the agent's). A path the spec names for any other
 * namespace is dropped (a network namespace named by path is left out, so the container shares the
 * VM's network as kata intends): the host's request never makes a container join a namespace by path.
 *
 * @param ipc    the sandbox's IPC namespace file, if it has one
 * @param uts    the sandbox's UTS namespace file, if it has one
 * @param pidns  the PID namespace to join; empty for a new one
 */
record NamespacePlan(Optional<Path> ipc, Optional<Path> uts, Optional<Path> pidns) {

    /** The spec with its namespaces rewritten. */
    Spec apply(Spec spec) {
        Linux.Builder linux = spec.getLinux().toBuilder().clearNamespaces();
        for (LinuxNamespace ns : spec.getLinux().getNamespacesList()) {
            switch (ns.getType()) {
                case "ipc" -> linux.addNamespaces(withPath(ns, ipc));
                case "uts" -> linux.addNamespaces(withPath(ns, uts));
                // One pid and one mount entry, ours, below: two would make runc refuse the spec.
                case "pid", "mount" -> { }
                // kata's runtime strips the network namespace (every container shares the VM's
                // network); a path here is the host asking to join some namespace of the guest's
                case "network" -> {
                    if (ns.getPath().isEmpty()) {
                        linux.addNamespaces(ns);
                    }
                }
                default -> linux.addNamespaces(withPath(ns, Optional.empty()));
            }
        }
        linux.addNamespaces(withPath(LinuxNamespace.newBuilder().setType("pid").build(), pidns));
        linux.addNamespaces(LinuxNamespace.newBuilder().setType("mount").build());
        return spec.toBuilder().setLinux(linux).build();
    }

    private static LinuxNamespace withPath(LinuxNamespace ns, Optional<Path> path) {
        return ns.toBuilder().setPath(path.map(Path::toString).orElse("")).build();
    }
}
