package org.cvmagent.agent;

import org.cvmagent.agent.config.AgentConfig;
import org.cvmagent.agent.config.ConfigException;
import org.cvmagent.agent.config.ImageFile;
import org.cvmagent.agent.config.StartConfig;
import org.cvmagent.agent.initdata.InitDataCheck;
import org.cvmagent.agent.initdata.InitDataDevice;
import org.cvmagent.agent.initdata.InitDataFiles;
import org.cvmagent.agent.initdata.InitDataRejectedException;
import org.cvmagent.agent.initdata.InitDataSources;
import org.cvmagent.agent.initdata.MeasuredInitData;
import org.cvmagent.agent.tee.DetectedTee;
import org.cvmagent.agent.tee.TeeProbe;
import org.cvmagent.attestation.tsm.KernelConfigfsTsm;
import org.cvmagent.attestation.tsm.TsmReport;
import org.cvmagent.agent.config.ConfigLoader;
import org.cvmagent.agent.config.KernelCmdline;
import org.cvmagent.agent.init.PowerOff;
import org.cvmagent.agent.init.ResidentMemory;
import org.cvmagent.agent.init.SystemUptime;
import org.cvmagent.agent.log.JsonLoggerFinder;
import org.cvmagent.agent.log.JulBridge;
import org.cvmagent.agent.log.LogSink;
import org.cvmagent.agent.policy.PolicyEngine;
import org.cvmagent.agent.policy.RegoCompilers;
import org.cvmagent.agent.server.AgentServer;
import org.cvmagent.agent.server.AgentServices;
import org.cvmagent.agent.server.ContainerHost;
import org.cvmagent.agent.server.GuestComponentsLauncher;
import org.cvmagent.agent.server.ImageSettings;
import org.cvmagent.attestation.service.GuestComponentsServer;
import org.cvmagent.rpc.ServiceBinding;
import org.cvmagent.agent.service.AgentVersion;
import org.cvmagent.transport.Transports;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

/**
 * The agent's entry point: read the configuration, start the ttRPC (and optional gRPC) servers,
 * serve until SIGTERM, then drain calls in flight and stop.
 *
 * <p>Options: {@code --config FILE} (kata's agent config TOML), {@code --cmdline FILE} (instead of
 * /proc/cmdline, for tests), {@code --version}.
 */
public final class Main {

    private static final System.Logger LOG = System.getLogger("org.cvmagent.agent");
    private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(10);
    /** Where the CoCo guest components' sockets go instead of /run/confidential-containers (tests, demos). */
    private static final String GUEST_COMPONENTS_DIR = "CVM_AGENT_GUEST_COMPONENTS_DIR";
    /** CoCo's switch for the sample TEE, honoured in development mode only. */
    private static final String SAMPLE_ATTESTER_ENVIRONMENT = "AA_SAMPLE_ATTESTER_TEST";

    private Main() {
    }

    public static void main(String[] args) {
        boolean initDaemon = ProcessHandle.current().pid() == 1;
        int status = start(args, initDaemon);
        if (initDaemon) {
            // PID 1 must not exit (the kernel would panic): whatever the outcome, kata's agent in
            // init mode syncs and powers the VM off, and so do we.
            PowerOff.system().now();
        }
        System.exit(status);
    }

    private static int start(String[] args, boolean initDaemon) {
        try {
            return run(args, initDaemon);
        } catch (ConfigException e) {
            LOG.log(System.Logger.Level.ERROR, "invalid configuration: " + e.getMessage());
            return 2;
        } catch (IOException e) {
            LOG.log(System.Logger.Level.ERROR, "cannot start: " + e.getMessage(), e);
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }

    static int run(String[] args, boolean initDaemon) throws ConfigException, IOException, InterruptedException {
        Optional<Path> configFile = Optional.empty();
        Path cmdlineFile = Path.of("/proc/cmdline");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--config", "-c" -> configFile = Optional.of(Path.of(argument(args, ++i, "--config")));
                case "--cmdline" -> cmdlineFile = Path.of(argument(args, ++i, "--cmdline"));
                case "--version" -> {
                    System.out.println("cvm-agent " + AgentVersion.fromBuild().agentVersion());
                    return 0;
                }
                default -> throw new ConfigException("unknown argument '" + args[i]
                        + "' (expected --config FILE, --cmdline FILE, --version)");
            }
        }
        StartConfig start = new ConfigLoader(System.getenv()).loadForStart(configFile, readCmdline(cmdlineFile));
        AgentConfig config = start.agent();
        Optional<LogSink> sink = JsonLoggerFinder.installedSink();
        sink.ifPresent(s -> {
            s.setThreshold(config.logLevel());
            JulBridge.install(s);
        });
        if (config.debugConsole()) {
            LOG.log(System.Logger.Level.WARNING, "agent.debug_console is set, but this agent ships no debug console");
        }
        Trusted trusted = trustedInputs(start);
        PolicyEngine policy = AgentServices.policyEngine(config.policyFile(), RegoCompilers.installed(),
                trusted.initData(), start.mode());
        CountDownLatch stop = new CountDownLatch(1);
        // As the guest's init, DestroySandbox ends the agent and with it the VM (kata's init mode);
        // as a service the agent keeps serving until it is told to stop.
        Runnable afterDestroy = initDaemon ? stop::countDown : () -> { };
        // Health is served as soon as the listener is up; kata's AgentService once the container
        // host, the image settings and the guest components below are ready (its calls pass the
        // policy gate, then wait). The first Health/Check needs none of them, and under TCG they
        // cost about two seconds of the boot.
        CompletableFuture<ServiceBinding> agentService = new CompletableFuture<>();
        AgentServer server = new AgentServer(AgentServices.deferredDispatcher(config, policy, agentService),
                new Transports());
        server.start(config.serverAddr(), config.grpcServerAddr());
        ContainerHost containers;
        Optional<GuestComponentsServer> guestComponents;
        try {
            containers = startContainerHost(start, config, trusted, initDaemon);
            try {
                guestComponents = new GuestComponentsLauncher(start.host().cmdline(), trusted.initData(), trusted.tee())
                        .launch(trusted.guestComponentsDir(), Optional.empty(), new Transports(),
                                Optional.of(containers.secureVolumes()));
            } catch (IllegalArgumentException | IOException e) {
                containers.close();
                throw new ConfigException("guest components: " + e.getMessage(), e);
            }
        } catch (ConfigException | IOException | RuntimeException e) {
            agentService.completeExceptionally(e);
            server.shutdown(Duration.ZERO);
            throw e;
        }
        agentService.complete(AgentServices.agentService(Path.of("/sys/devices/system/memory"), initDaemon, policy,
                Optional.of(containers.handlers(afterDestroy))));
        TerminationSignals.onTermination(stop::countDown);
        LOG.log(System.Logger.Level.INFO, "cvm-agent " + AgentVersion.fromBuild().agentVersion() + " serving ttrpc on "
                + config.serverAddr() + config.grpcServerAddr().map(g -> " and grpc on " + g).orElse("")
                + (initDaemon ? " as the guest's init" : "") + "; " + start.mode().name().toLowerCase(java.util.Locale.ROOT)
                + (start.testImage() ? " test image" : "") + " mode; " + footprint());
        stop.await();
        LOG.log(System.Logger.Level.INFO, "stopping: draining calls in flight");
        server.shutdown(SHUTDOWN_GRACE);
        guestComponents.ifPresent(GuestComponentsServer::close);
        containers.close();
        LOG.log(System.Logger.Level.INFO, "agent stopped; " + footprint());
        return 0;
    }

    /** The image settings (init-data's cdh.toml), the OCI runtime's check, and the container host. */
    private static ContainerHost startContainerHost(StartConfig start, AgentConfig config, Trusted trusted,
                                                    boolean initDaemon) throws ConfigException, IOException {
        ImageSettings images;
        try {
            images = ImageSettings.from(start.confidential() ? KernelCmdline.parse("") : start.host().cmdline(),
                    trusted.initData().flatMap(d -> d.entry("cdh.toml")), start.confidential()
                            ? Optional.of(new ImageFile(Path.of("/"))) : Optional.empty());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("image settings: " + e.getMessage(), e);
        }
        if (start.confidential()) {
            new ImageFile(Path.of("/")).check(config.runtime().ociRuntime(), true, "oci_runtime");
        }
        LOG.log(System.Logger.Level.INFO, "containers run with the OCI runtime " + config.runtime().ociRuntime());
        return ContainerHost.start(config.runtime(), initDaemon, images, trusted.guestComponentsDir());
    }

    /**
     * The TEE, and init-data once checked against it; where init-data is written out. In
     * confidential mode the guest components' directory is CoCo's, never one the host names.
     *
     * @throws ConfigException the guest must not serve (init-data malformed or not the TEE's, no TEE
     *                         in a confidential image)
     */
    private static Trusted trustedInputs(StartConfig start) throws ConfigException, IOException {
        Path guestComponentsDir = start.confidential() ? GuestComponentsLauncher.DEFAULT_RUN_DIR
                : Optional.ofNullable(start.host().environment().get(GUEST_COMPONENTS_DIR)).map(Path::of)
                .orElse(GuestComponentsLauncher.DEFAULT_RUN_DIR);
        boolean sampleAllowed = start.confidential() ? start.testImage()
                : start.host().environment().containsKey(SAMPLE_ATTESTER_ENVIRONMENT);
        Optional<DetectedTee> tee = new TeeProbe(new TsmReport(new KernelConfigfsTsm(KernelConfigfsTsm.DEFAULT_ROOT)),
                sampleAllowed).detect();
        Optional<MeasuredInitData> initData;
        try {
            initData = new InitDataSources(new InitDataDevice(Path.of("/dev"))).load(start.mode(), start.host());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage() + ": refusing to serve", e);
        }
        try {
            LOG.log(System.Logger.Level.INFO, InitDataCheck.verify(start, tee, initData));
        } catch (InitDataRejectedException e) {
            throw new ConfigException(e.getMessage(), e);
        }
        if (initData.isPresent()) {
            Path written = InitDataFiles.write(guestComponentsDir, initData.get());
            LOG.log(System.Logger.Level.DEBUG, "init-data written to " + written);
        }
        return new Trusted(tee, initData, guestComponentsDir);
    }

    /** What the start-up checks established. */
    private record Trusted(Optional<DetectedTee> tee, Optional<MeasuredInitData> initData, Path guestComponentsDir) {
    }

    /** RSS and uptime for the serving and stopped log lines: the guest's footprint and boot time. */
    private static String footprint() throws IOException {
        Runtime runtime = Runtime.getRuntime();
        long usedKib = (runtime.totalMemory() - runtime.freeMemory()) / 1024;
        return ResidentMemory.self().summary() + ", heap " + usedKib + " of " + runtime.totalMemory() / 1024
                + " KiB committed, system uptime " + SystemUptime.proc().seconds() + " s";
    }

    private static String readCmdline(Path file) throws ConfigException {
        try {
            return Files.readString(file);
        } catch (NoSuchFileException e) {
            return "";
        } catch (IOException e) {
            throw new ConfigException("cannot read kernel command line " + file + ": " + e.getMessage(), e);
        }
    }

    private static String argument(String[] args, int index, String option) throws ConfigException {
        if (index >= args.length) {
            throw new ConfigException(option + " needs a value");
        }
        return args[index];
    }
}
