package org.cvmagent.agent.sandbox;

import org.cvmagent.agent.cli.ClientFactory;
import org.cvmagent.agent.cli.PodClient;
import org.cvmagent.agent.config.AgentConfig;
import org.cvmagent.agent.config.RuntimeConfig;
import org.cvmagent.agent.policy.PolicyEngine;
import org.cvmagent.agent.server.AgentServer;
import org.cvmagent.agent.server.AgentServices;
import org.cvmagent.agent.server.ContainerHost;
import org.cvmagent.agent.server.ImageSettings;
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
import org.cvmagent.agent.cli.AgentClient;
import org.cvmagent.transport.Transports;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A real agent for container tests: the container host (reaper, runc, storages) behind the ttRPC
 * server on a unix socket, a {@link PodClient} connected to it, and a busybox-static rootfs in a
 * directory that plays the host's virtio-fs share (bind-mounted by a {@code virtio-fs} storage with
 * fstype {@code bind} at the sandbox's shared directory, as the shim's share would be).
 */
final class PodFixture implements AutoCloseable {

    static final String[] APPLETS = {"sh", "cat", "echo", "sleep", "true", "false", "head", "tail", "dd",
            "hostname", "stty", "ls", "yes", "env", "id", "readlink", "seq"};

    final Path dir;
    final Path sandboxRoot;
    final Path stateDir;
    final Path hostShare;
    final ContainerHost host;
    final AgentServer server;
    final AgentClient connection;
    final PodClient pod;

    PodFixture(Path dir) throws IOException {
        this(dir, PolicyEngine.NONE);
    }

    PodFixture(Path dir, PolicyEngine policy) throws IOException {
        this(dir, policy, org.cvmagent.agent.config.KernelCmdline.parse(""));
    }

    /** @param cmdline kata's agent.* options (the image service reads its settings there) */
    PodFixture(Path dir, PolicyEngine policy, org.cvmagent.agent.config.KernelCmdline cmdline) throws IOException {
        this.dir = dir;
        this.sandboxRoot = dir.resolve("kata");
        this.stateDir = dir.resolve("state");
        this.hostShare = dir.resolve("host-share");
        Files.createDirectories(hostShare);
        RuntimeConfig runtime = new RuntimeConfig(Path.of("/usr/sbin/runc"), sandboxRoot, stateDir);
        this.host = ContainerHost.start(runtime, false, ImageSettings.from(cmdline, java.util.Optional.empty()),
                dir.resolve("guest-components"));
        AgentConfig config = AgentConfig.defaults().withRuntime(runtime);
        this.server = new AgentServer(AgentServices.dispatcher(config, dir, false, policy,
                Optional.of(host.handlers())), new Transports());
        String address = "unix://" + dir.resolve("agent.sock");
        server.start(address, Optional.empty());
        this.connection = new ClientFactory(new Transports()).connect(address, false, Duration.ofSeconds(10));
        this.pod = new PodClient(connection, Duration.ofSeconds(60));
    }

    /** The shared directory's storage, as kata's shim sends it in CreateSandbox. */
    Storage sharedStorage() {
        return Storage.newBuilder().setDriver("virtio-fs").setSource(hostShare.toString()).setFstype("bind")
                .addOptions("bind").setMountPoint(sandboxRoot.resolve("shared/containers").toString()).build();
    }

    CreateSandboxRequest sandboxRequest(String id) {
        return CreateSandboxRequest.newBuilder().setSandboxId(id).setHostname("pod-host")
                .addDns("nameserver 10.96.0.10").addDns("search default.svc.cluster.local")
                .addStorages(sharedStorage()).setSandboxPidns(true).build();
    }

    /** Puts a busybox rootfs for {@code id} into the host share; returns its path as the guest sees it. */
    String rootfs(String id) throws IOException {
        Path rootfs = hostShare.resolve(id).resolve("rootfs");
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

    Path hostRootfs(String id) {
        return hostShare.resolve(id).resolve("rootfs");
    }

    static org.cvmagent.proto.agent.Process process(boolean terminal, String... args) {
        return org.cvmagent.proto.agent.Process.newBuilder().addAllArgs(List.of(args))
                .addEnv("PATH=/bin").addEnv("HOME=/").setCwd("/").setTerminal(terminal)
                .setUser(User.newBuilder().setUID(0).setGID(0)).build();
    }

    /** A spec like the one kata's shim sends (network and cgroup namespaces stripped, paths cleared). */
    Spec spec(String id, String rootPath, org.cvmagent.proto.agent.Process process, LinuxResources resources) {
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

    CreateContainerRequest container(String id, org.cvmagent.proto.agent.Process process) throws IOException {
        return CreateContainerRequest.newBuilder().setContainerId(id)
                .setOCI(spec(id, rootfs(id), process, LinuxResources.getDefaultInstance()))
                .setSandboxPidns(true).build();
    }

    /** Creates and starts a container running {@code args}. */
    void run(String id, String... args) throws Exception {
        pod.createContainer(container(id, process(false, args)));
        pod.startContainer(id);
    }

    @Override
    public void close() throws Exception {
        try {
            pod.destroySandbox();
        } finally {
            connection.close();
            server.shutdown(Duration.ofSeconds(5));
            host.close();
        }
    }
}
