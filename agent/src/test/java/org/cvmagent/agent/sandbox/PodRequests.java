package org.cvmagent.agent.sandbox;

import org.cvmagent.proto.agent.CreateContainerRequest;
import org.cvmagent.proto.agent.CreateSandboxRequest;
import org.cvmagent.proto.agent.Linux;
import org.cvmagent.proto.agent.LinuxNamespace;
import org.cvmagent.proto.agent.LinuxResources;
import org.cvmagent.proto.agent.Mount;
import org.cvmagent.proto.agent.Root;
import org.cvmagent.proto.agent.Spec;
import org.cvmagent.proto.agent.Storage;
import org.cvmagent.proto.agent.User;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The requests kata's shim sends for busybox containers, without an agent: a directory plays the
 * host's virtio-fs share (bind-mounted by a {@code virtio-fs} storage with fstype {@code bind} at
 * the sandbox's shared directory), each container's rootfs a busybox-static tree in it. Shared by
 * the in-JVM pod tests ({@link PodFixture}) and tests of a separately started agent, which only
 * need the agent's sandbox root to match.
 */
public final class PodRequests {

    static final String[] APPLETS = {"sh", "cat", "echo", "sleep", "true", "false", "head", "tail", "dd",
            "hostname", "stty", "ls", "yes", "env", "id", "readlink", "seq"};

    /** The OCI runtime the agent runs these containers with, by default. */
    public static final Path RUNC = Path.of("/usr/sbin/runc");

    private final Path sandboxRoot;
    private final Path hostShare;

    /**
     * @param sandboxRoot the agent's sandbox root ({@code CVM_AGENT_SANDBOX_ROOT})
     * @param hostShare the directory standing in for the host's share of container root file systems
     */
    public PodRequests(Path sandboxRoot, Path hostShare) throws IOException {
        this.sandboxRoot = sandboxRoot;
        this.hostShare = Files.createDirectories(hostShare);
    }

    /** The shared directory's storage, as kata's shim sends it in CreateSandbox. */
    public Storage sharedStorage() {
        return Storage.newBuilder().setDriver("virtio-fs").setSource(hostShare.toString()).setFstype("bind")
                .addOptions("bind").setMountPoint(sandboxRoot.resolve("shared/containers").toString()).build();
    }

    public CreateSandboxRequest sandboxRequest(String id) {
        return CreateSandboxRequest.newBuilder().setSandboxId(id).setHostname("pod-host")
                .addDns("nameserver 10.96.0.10").addDns("search default.svc.cluster.local")
                .addStorages(sharedStorage()).setSandboxPidns(true).build();
    }

    /** Puts a busybox rootfs for {@code id} into the host share; returns its path as the guest sees it. */
    public String rootfs(String id) throws IOException {
        Path rootfs = hostRootfs(id);
        for (String d : new String[] {"bin", "proc", "dev", "sys", "tmp", "etc"}) {
            Files.createDirectories(rootfs.resolve(d));
        }
        if (!Files.exists(rootfs.resolve("bin/busybox"))) {
            Files.copy(Path.of("/bin/busybox"), rootfs.resolve("bin/busybox"));
            for (String applet : APPLETS) {
                Files.createSymbolicLink(rootfs.resolve("bin").resolve(applet), Path.of("busybox"));
            }
        }
        return sandboxRoot.resolve("shared/containers").resolve(id).resolve("rootfs").toString();
    }

    public Path hostRootfs(String id) {
        return hostShare.resolve(id).resolve("rootfs");
    }

    public static org.cvmagent.proto.agent.Process process(boolean terminal, String... args) {
        return org.cvmagent.proto.agent.Process.newBuilder().addAllArgs(List.of(args))
                .addEnv("PATH=/bin").addEnv("HOME=/").setCwd("/").setTerminal(terminal)
                .setUser(User.newBuilder().setUID(0).setGID(0)).build();
    }

    /** A spec like the one kata's shim sends (network and cgroup namespaces stripped, paths cleared). */
    public Spec spec(String id, String rootPath, org.cvmagent.proto.agent.Process process, LinuxResources resources) {
        Linux.Builder linux = Linux.newBuilder().setCgroupsPath("/cvm-agent-test-" + id)
                .setResources(resources)
                .addMaskedPaths("/proc/kcore").addReadonlyPaths("/proc/sys");
        for (String ns : new String[] {"pid", "ipc", "uts", "mount"}) {
            linux.addNamespaces(LinuxNamespace.newBuilder().setType(ns));
        }
        return Spec.newBuilder().setVersion("1.0.2").setProcess(process)
                .setRoot(Root.newBuilder().setPath(rootPath))
                .setHostname("pod-host")
                .addMounts(Mount.newBuilder().setDestination("/proc").setSource("proc").setType("proc"))
                .addMounts(Mount.newBuilder().setDestination("/dev").setSource("tmpfs").setType("tmpfs")
                        .addOptions("nosuid").addOptions("mode=755"))
                .addMounts(Mount.newBuilder().setDestination("/dev/pts").setSource("devpts").setType("devpts")
                        .addOptions("nosuid").addOptions("noexec").addOptions("newinstance")
                        .addOptions("ptmxmode=0666").addOptions("mode=0620"))
                .addMounts(Mount.newBuilder().setDestination("/sys").setSource("sysfs").setType("sysfs")
                        .addOptions("nosuid").addOptions("noexec").addOptions("nodev").addOptions("ro"))
                .setLinux(linux).build();
    }

    public CreateContainerRequest container(String id, org.cvmagent.proto.agent.Process process) throws IOException {
        return CreateContainerRequest.newBuilder().setContainerId(id)
                .setOCI(spec(id, rootfs(id), process, LinuxResources.getDefaultInstance()))
                .setSandboxPidns(true).build();
    }
}
