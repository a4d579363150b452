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
import org.cvmagent.proto.agent.LinuxResources;
import org.cvmagent.proto.agent.Spec;
import org.cvmagent.proto.agent.Storage;
import org.cvmagent.agent.cli.AgentClient;
import org.cvmagent.transport.Transports;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * A real agent for container tests: the container host (reaper, runc, storages) behind the ttRPC
 * server on a unix socket, a {@link PodClient} connected to it, and the requests of
 * {@link PodRequests} (busybox rootfs trees in a directory that plays the host's virtio-fs share).
 */
final class PodFixture implements AutoCloseable {

    final Path dir;
    final Path sandboxRoot;
    final Path stateDir;
    final Path hostShare;
    final ContainerHost host;
    final AgentServer server;
    final AgentClient connection;
    final PodClient pod;
    final PodRequests requests;

    PodFixture(Path dir) throws IOException {
        this(dir, PolicyEngine.NONE);
    }

    PodFixture(Path dir, PolicyEngine policy) throws IOException {
        this(dir, policy, org.cvmagent.agent.config.KernelCmdline.parse(""));
    }

    /** @param cmdline kata's agent.* options (the image service reads its settings there) */
    PodFixture(Path dir, PolicyEngine policy, org.cvmagent.agent.config.KernelCmdline cmdline) throws IOException {
        this(dir, policy, cmdline, java.util.Optional.empty());
    }

    /** @param cdhToml the init-data's cdh.toml, whose [image] table the image service also reads */
    PodFixture(Path dir, PolicyEngine policy, org.cvmagent.agent.config.KernelCmdline cmdline,
               java.util.Optional<String> cdhToml) throws IOException {
        this.dir = dir;
        this.sandboxRoot = dir.resolve("kata");
        this.stateDir = dir.resolve("state");
        this.hostShare = dir.resolve("host-share");
        this.requests = new PodRequests(sandboxRoot, hostShare);
        RuntimeConfig runtime = new RuntimeConfig(Path.of("/usr/sbin/runc"), sandboxRoot, stateDir);
        this.host = ContainerHost.start(runtime, false, ImageSettings.from(cmdline, cdhToml),
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
        return requests.sharedStorage();
    }

    CreateSandboxRequest sandboxRequest(String id) {
        return requests.sandboxRequest(id);
    }

    /** Puts a busybox rootfs for {@code id} into the host share; returns its path as the guest sees it. */
    String rootfs(String id) throws IOException {
        return requests.rootfs(id);
    }

    Path hostRootfs(String id) {
        return requests.hostRootfs(id);
    }

    static org.cvmagent.proto.agent.Process process(boolean terminal, String... args) {
        return PodRequests.process(terminal, args);
    }

    /** A spec like the one kata's shim sends (network and cgroup namespaces stripped, paths cleared). */
    Spec spec(String id, String rootPath, org.cvmagent.proto.agent.Process process, LinuxResources resources) {
        return requests.spec(id, rootPath, process, resources);
    }

    CreateContainerRequest container(String id, org.cvmagent.proto.agent.Process process) throws IOException {
        return requests.container(id, process);
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
