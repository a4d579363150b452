package org.cvmagent.agent.server;

import org.cvmagent.agent.cgroup.CgroupLocator;
import org.cvmagent.agent.cgroup.CgroupStatsReader;
import org.cvmagent.agent.cgroup.NetworkStatsReader;
import org.cvmagent.agent.cgroup.OomMonitor;
import org.cvmagent.agent.config.RuntimeConfig;
import org.cvmagent.agent.network.GuestNetwork;
import org.cvmagent.agent.network.NetworkCommands;
import org.cvmagent.agent.process.CommandRunner;
import org.cvmagent.agent.process.PosixSpawner;
import org.cvmagent.agent.process.Reaper;
import org.cvmagent.agent.runtime.Runc;
import org.cvmagent.agent.sandbox.ContainerStats;
import org.cvmagent.agent.sandbox.OutputPoller;
import org.cvmagent.agent.sandbox.Sandbox;
import org.cvmagent.agent.sandbox.SandboxLayout;
import org.cvmagent.agent.service.GuestHandlers;
import org.cvmagent.agent.service.NetworkHandlers;
import org.cvmagent.agent.files.SharedFiles;
import org.cvmagent.agent.guest.GuestManagement;
import org.cvmagent.agent.guest.GuestMetrics;
import org.cvmagent.agent.guest.VolumeResizer;
import org.cvmagent.agent.service.SandboxHandlers;
import org.cvmagent.agent.storage.BlockDevices;
import org.cvmagent.agent.storage.DiskUse;
import org.cvmagent.agent.storage.EncryptedVolumes;
import org.cvmagent.agent.storage.LuksScratch;
import org.cvmagent.agent.storage.Mounter;
import org.cvmagent.agent.storage.StorageHandlers;
import org.cvmagent.agent.storage.StorageManager;
import org.cvmagent.attestation.cdh.SecureVolumes;
import org.cvmagent.attestation.service.GuestComponentsServer;
import org.cvmagent.image.signature.KbsResourceUri;
import org.cvmagent.proto.agent.StatsContainerResponse;
import org.cvmagent.transport.Transports;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Everything that runs containers for the agent, started and stopped together: the one
 * {@link Reaper} (as PID 1, or as a child subreaper when the agent is a service), the spawner,
 * the OCI runtime, storage, OOM monitoring, and the {@link Sandbox} they serve.
 */
public final class ContainerHost implements AutoCloseable {

    private static final Duration RUNC_TIMEOUT = Duration.ofSeconds(60);
    /** Formatting encrypted scratch wipes the whole disk to give every sector an integrity tag. */
    private static final Duration SCRATCH_TIMEOUT = Duration.ofMinutes(10);
    private static final Duration NETWORK_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration CONSOLE_TIMEOUT = Duration.ofSeconds(10);
    /** The first resource fetch attests to the KBS, which takes a few round trips. */
    private static final Duration CDH_TIMEOUT = Duration.ofSeconds(60);

    private final Reaper reaper;
    private final OomMonitor oom;
    private final OutputPoller outputs;
    private final Sandbox sandbox;
    private final List<String> storageDrivers;
    private final GuestHandlers guest;
    private final SecureVolumes secureVolumes;

    private ContainerHost(Reaper reaper, OomMonitor oom, OutputPoller outputs, Sandbox sandbox, List<String> storageDrivers,
                          GuestHandlers guest, SecureVolumes secureVolumes) {
        this.secureVolumes = secureVolumes;
        this.reaper = reaper;
        this.oom = oom;
        this.outputs = outputs;
        this.sandbox = sandbox;
        this.storageDrivers = storageDrivers;
        this.guest = guest;
    }

    /**
     * @param initDaemon whether the agent is PID 1 (then it reaps orphans anyway; otherwise it
     *                   becomes a child subreaper so container inits re-parent to it)
     */
    public static ContainerHost start(RuntimeConfig config, boolean initDaemon) throws IOException {
        return start(config, initDaemon, ImageSettings.none(), GuestComponentsLauncher.DEFAULT_RUN_DIR);
    }

    /**
     * @param images             how the image service pulls
     * @param guestComponentsDir where the confidential data hub's socket is, for {@code kbs:///} image settings
     */
    public static ContainerHost start(RuntimeConfig config, boolean initDaemon, ImageSettings images,
                                      Path guestComponentsDir) throws IOException {
        Reaper reaper = Reaper.start();
        OutputPoller outputs = null;
        try {
            if (!initDaemon) {
                reaper.becomeSubreaper();
            }
            PosixSpawner spawner = new PosixSpawner(reaper);
            CommandRunner commands = new CommandRunner(spawner);
            SandboxLayout layout = new SandboxLayout(config.sandboxRoot(), config.stateDir());
            Runc runc = new Runc(spawner, commands, config.ociRuntime(), layout.runcRoot(), RUNC_TIMEOUT);
            CgroupLocator locator = CgroupLocator.system();
            OomMonitor oom = OomMonitor.start(locator, OomMonitor.DEFAULT_INTERVAL);
            Files.createDirectories(layout.root());
            Mounter mounter = Mounter.load();
            EncryptedVolumes encrypted = new EncryptedVolumes(new LuksScratch(commands, layout.stateDir().resolve("keys"),
                    new SecureRandom(), SCRATCH_TIMEOUT), mounter, DiskUse.system());
            CdhResourceClient cdh = new CdhResourceClient(guestComponentsDir.resolve(GuestComponentsServer.CDH_SOCKET),
                    new Transports(), CDH_TIMEOUT);
            StorageHandlers handlers = StorageHandlers.kata(mounter, BlockDevices.system(), Optional.of(encrypted),
                    Optional.of(uri -> cdh.fetch(KbsResourceUri.parse(uri.toString()))),
                    List.of(ImagePullSetup.handler(images, config.stateDir(), mounter, commands, cdh,
                            encrypted)));
            StorageManager storages = new StorageManager(layout.root(), handlers);
            outputs = OutputPoller.start("output-poller");
            Sandbox sandbox = new Sandbox(layout, runc, reaper, storages, stats(locator), oom, commands,
                    Path.of("/proc"), CONSOLE_TIMEOUT, outputs);
            GuestNetwork network = new GuestNetwork(new NetworkCommands(commands, null, NETWORK_TIMEOUT),
                    BlockDevices.system());
            GuestHandlers guest = new GuestHandlers(new NetworkHandlers(network),
                    new SharedFiles(layout.sharedContainersDir()),
                    new GuestManagement(Path.of("/sys"), Path.of("/dev/random")), new GuestMetrics(Path.of("/proc")),
                    new VolumeResizer(commands, Path.of("/proc/self/mountinfo")), BlockDevices.system(), commands,
                    sandbox);
            return new ContainerHost(reaper, oom, outputs, sandbox, handlers.drivers(), guest,
                    new AgentSecureVolumes(storages, encrypted));
        } catch (IOException | RuntimeException e) {
            reaper.close();
            if (outputs != null) {
                stop(outputs);
            }
            throw e;
        }
    }

    /** The encrypted block volumes the confidential data hub's SecureMount sets up. */
    public SecureVolumes secureVolumes() {
        return secureVolumes;
    }

    /** The one reaper: anything else that starts children in this JVM must spawn through it. */
    public Reaper reaper() {
        return reaper;
    }

    /** kata's StatsContainer answer: the init's cgroup stats and the network of its namespace. */
    private static ContainerStats stats(CgroupLocator locator) {
        CgroupStatsReader cgroups = CgroupStatsReader.system();
        NetworkStatsReader network = new NetworkStatsReader(Path.of("/proc"));
        return pid -> StatsContainerResponse.newBuilder()
                .setCgroupStats(cgroups.read(locator.locate(pid)))
                .addAllNetworkStats(network.read(pid))
                .build();
    }

    public Sandbox sandbox() {
        return sandbox;
    }

    public SandboxHandlers handlers() {
        return handlers(() -> { });
    }

    /** @param afterDestroy what a successful DestroySandbox triggers (the guest init's shutdown) */
    public SandboxHandlers handlers(Runnable afterDestroy) {
        return new SandboxHandlers(sandbox, Path.of("/proc/self/mountinfo"), storageDrivers,
                Optional.of(guest), afterDestroy);
    }

    /** Stops monitoring and reaping; containers keep running (a restarted agent is not kata's model). */
    @Override
    public void close() throws IOException {
        oom.close();
        reaper.close();
        stop(outputs);
    }

    /** Stops the output poller's thread; the process streams it still read end. */
    private static void stop(OutputPoller outputs) throws InterruptedIOException {
        try {
            outputs.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while stopping the output poller");
        }
    }
}
