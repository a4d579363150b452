package org.cvmagent.agent.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cvmagent.agent.config.KernelCmdline;
import org.cvmagent.agent.policy.InitData;
import org.cvmagent.agent.policy.PolicySource;
import org.cvmagent.attestation.aael.AaelSource;
import org.cvmagent.attestation.aael.AaelStore;
import org.cvmagent.attestation.aael.EventLogConfig;
import org.cvmagent.attestation.aael.RuntimeEventLog;
import org.cvmagent.attestation.aael.WriteAheadRecord;
import org.cvmagent.attestation.attester.Attester;
import org.cvmagent.attestation.attester.InitDataBinding;
import org.cvmagent.attestation.device.LinuxDeviceFile;
import org.cvmagent.attestation.se.SeAttester;
import org.cvmagent.attestation.se.UvDevice;
import org.cvmagent.attestation.snp.SevGuestReportSource;
import org.cvmagent.attestation.snp.SnpAttester;
import org.cvmagent.attestation.snp.SnpReportSource;
import org.cvmagent.attestation.snp.TsmSnpReportSource;
import org.cvmagent.attestation.attester.SampleAttester;
import org.cvmagent.attestation.attester.TeeMeasurements;
import org.cvmagent.attestation.kbs.CocoConfigLoader;
import org.cvmagent.attestation.kbs.KbsClient;
import org.cvmagent.attestation.kbs.KbsConfig;
import org.cvmagent.attestation.kbs.KbsException;
import org.cvmagent.attestation.kbs.KbsHttpClientFactory;
import org.cvmagent.attestation.kbs.RetryPolicy;
import org.cvmagent.attestation.service.GuestComponentsServer;
import org.cvmagent.attestation.tdx.IoctlTdxRegisters;
import org.cvmagent.attestation.tdx.SysfsTdxRegisters;
import org.cvmagent.attestation.tdx.TdxAttester;
import org.cvmagent.attestation.tdx.TdxRegisters;
import org.cvmagent.attestation.tsm.KernelConfigfsTsm;
import org.cvmagent.attestation.tsm.TsmReport;
import org.cvmagent.transport.Transports;

/**
 * Decides, as kata-agent does from {@code agent.guest_components_procs}, which CoCo guest components
 * this agent serves, and with what: the TEE found (TDX through configfs-tsm or /dev/tdx_guest; SNP through
 * configfs-tsm or /dev/sev-guest; IBM SE through /dev/uv; the sample TEE only
 * when {@code AA_SAMPLE_ATTESTER_TEST} is set, CoCo's own switch for it) and the KBS named by the
 * init-data's aa.toml (or cdh.toml). Without a TEE nothing attests, and that is logged, not faked.
 */
public final class GuestComponentsLauncher {
    public static final Path DEFAULT_RUN_DIR = Path.of("/run/confidential-containers");
    static final String PROCS_PARAMETER = "agent.guest_components_procs";
    static final String SAMPLE_ATTESTER_ENVIRONMENT = "AA_SAMPLE_ATTESTER_TEST";
    static final int REST_PORT = 8006;
    static final Path SEV_GUEST_DEVICE = Path.of("/dev/sev-guest");
    static final Path TDX_GUEST_DEVICE = Path.of("/dev/tdx_guest");
    static final Path UV_DEVICE = Path.of("/dev/uv");
    private static final System.Logger LOG = System.getLogger(GuestComponentsLauncher.class.getName());

    private final KernelCmdline cmdline;
    private final Map<String, String> environment;
    private final TsmReport tsm;

    public GuestComponentsLauncher(KernelCmdline cmdline, Map<String, String> environment) {
        this(cmdline, environment, new TsmReport(new KernelConfigfsTsm(KernelConfigfsTsm.DEFAULT_ROOT)));
    }

    GuestComponentsLauncher(KernelCmdline cmdline, Map<String, String> environment, TsmReport tsm) {
        this.cmdline = cmdline;
        this.environment = Map.copyOf(environment);
        this.tsm = tsm;
    }

    /**
     * Starts what is configured, or nothing.
     *
     * @throws IllegalArgumentException for an unknown {@code agent.guest_components_procs} value or a
     *                                  malformed aa.toml/cdh.toml in the init-data
     */
    public Optional<GuestComponentsServer> launch(Path runDir, Optional<Integer> restPortOverride,
                                                  Transports transports) throws IOException {
        String procs = cmdline.value(PROCS_PARAMETER).orElse("api-server-rest");
        switch (procs) {
            case "none" -> {
                return Optional.empty();
            }
            case "attestation-agent", "confidential-data-hub", "api-server-rest" -> {
            }
            default -> throw new IllegalArgumentException(PROCS_PARAMETER + "=" + procs
                    + " (none, attestation-agent, confidential-data-hub or api-server-rest)");
        }
        Optional<String> initDataToml = PolicySource.initDataText(cmdline, environment).map(InitData::toml);
        Optional<InitData> initData = initDataToml.map(InitData::parse);
        EventLogConfig eventLogConfig = eventLogConfig(initData);
        Optional<Tee> tee = tee(eventLogConfig);
        Optional<Attester> attester = tee.map(Tee::attester);
        if (attester.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "no TEE found (no configfs-tsm provider, no /dev/tdx_guest, "
                    + "/dev/sev-guest or Secure Execution /dev/uv); the attestation agent "
                    + "and confidential data hub are not started");
            return Optional.empty();
        }
        Optional<KbsClient> kbs = Optional.empty();
        if (!procs.equals("attestation-agent")) {
            kbs = kbsConfig(initData).map(c -> client(c, attester.get(), initDataToml));
        }
        Optional<TeeMeasurements> measurements = tee.get().measurements();
        Optional<InitDataBinding> initDataBinding = tee.get().initData();
        Optional<Integer> rest = procs.equals("api-server-rest") ? Optional.of(restPortOverride.orElse(REST_PORT))
                : Optional.empty();
        GuestComponentsServer server = GuestComponentsServer.start(runDir, attester.get(), measurements,
                initDataBinding, tee.get().eventLog(), kbs, rest,
                transports);
        LOG.log(System.Logger.Level.INFO, "guest components: attestation agent (" + attester.get().tee().wireName()
                + ")" + (kbs.isPresent() ? ", confidential data hub (KBS " + kbs.get().config().baseUrl() + ")" : "")
                + server.restPort().map(p -> ", api-server-rest on 127.0.0.1:" + p).orElse("") + " under " + runDir);
        return Optional.of(server);
    }

    /** The TEE found, with its runtime registers and, when aa.toml enables it, the AAEL over them. */
    private record Tee(Attester attester, Optional<TeeMeasurements> measurements, Optional<InitDataBinding> initData,
                       Optional<RuntimeEventLog> eventLog) {
    }

    private Optional<Tee> tee(EventLogConfig eventLogConfig) throws IOException {
        // TDX as guest-components detects it: a tdx_guest configfs-tsm provider or the device node
        // (without configfs-tsm there is no quote, and evidence fails saying so, but the registers
        // still serve runtime measurements and the init-data check)
        SysfsTdxRegisters sysfs = new SysfsTdxRegisters(SysfsTdxRegisters.DEFAULT_PATH);
        IoctlTdxRegisters ioctl = new IoctlTdxRegisters(new LinuxDeviceFile(TDX_GUEST_DEVICE));
        if (tsm.provides(TdxAttester.TSM_PROVIDER) || ioctl.available()) {
            Optional<AaelStore> store = eventLogConfig.enabled() ? Optional.of(AaelStore.open(AaelStore.DEFAULT_PATH))
                    : Optional.empty();
            TdxRegisters registers = sysfs.available() ? sysfs : ioctl;
            TdxAttester tdx = new TdxAttester(tsm, TdxAttester.DEFAULT_CCEL, registers,
                    store.map(AaelSource.class::cast).orElse(AaelSource.NONE));
            Optional<RuntimeEventLog> eventLog = Optional.empty();
            if (store.isPresent()) {
                eventLog = Optional.of(RuntimeEventLog.open(tdx, store.get(), WriteAheadRecord.DEFAULT_PATH,
                        eventLogConfig.initPcr()));
            }
            return Optional.of(new Tee(tdx, Optional.of(tdx), Optional.of(tdx), eventLog));
        }
        // SNP: configfs-tsm first (the kernel's preferred interface), else the sev-guest ioctl
        for (SnpReportSource source : List.<SnpReportSource>of(new TsmSnpReportSource(tsm),
                new SevGuestReportSource(new LinuxDeviceFile(SEV_GUEST_DEVICE)))) {
            if (source.available()) {
                SnpAttester snp = new SnpAttester(source);
                return Optional.of(new Tee(snp, Optional.empty(), Optional.of(snp), Optional.empty()));
            }
        }
        SeAttester se = new SeAttester(new UvDevice(new LinuxDeviceFile(UV_DEVICE)), SeAttester.DEFAULT_PV_GUEST,
                new ObjectMapper());
        if (se.detect()) {
            return Optional.of(new Tee(se, Optional.empty(), Optional.empty(), Optional.empty()));
        }
        if (environment.containsKey(SAMPLE_ATTESTER_ENVIRONMENT)) {
            LOG.log(System.Logger.Level.WARNING, "using the sample attester (" + SAMPLE_ATTESTER_ENVIRONMENT
                    + " is set): its evidence proves nothing");
            return Optional.of(new Tee(new SampleAttester(new ObjectMapper()), Optional.empty(), Optional.empty(),
                    Optional.empty()));
        }
        return Optional.empty();
    }

    /** aa.toml's [eventlog_config] from the init-data; CoCo's defaults (disabled) without one. */
    private static EventLogConfig eventLogConfig(Optional<InitData> initData) {
        Optional<String> aa = initData.map(d -> d.data().get("aa.toml"));
        if (aa.isEmpty()) {
            return EventLogConfig.DEFAULT;
        }
        try {
            return EventLogConfig.fromAaToml(new TomlMapper(), aa.get());
        } catch (IOException e) {
            throw new IllegalArgumentException("init-data: " + e.getMessage(), e);
        }
    }

    /** The KBS the measured init-data names; http:// only when it names it so. */
    private static Optional<KbsConfig> kbsConfig(Optional<InitData> initData) {
        if (initData.isEmpty()) {
            return Optional.empty();
        }
        CocoConfigLoader loader = new CocoConfigLoader(new TomlMapper());
        try {
            String aa = initData.get().data().get("aa.toml");
            if (aa != null) {
                return Optional.of(loader.fromAaToml(aa, true));
            }
            String cdh = initData.get().data().get("cdh.toml");
            if (cdh != null) {
                return Optional.of(loader.fromCdhToml(cdh, true));
            }
            return Optional.empty();
        } catch (KbsException e) {
            throw new IllegalArgumentException("init-data: " + e.getMessage(), e);
        }
    }

    private static KbsClient client(KbsConfig config, Attester attester, Optional<String> initDataToml) {
        try {
            return new KbsClient(config, attester, new KbsHttpClientFactory(Duration.ofSeconds(10)).create(config),
                    new ObjectMapper(), Clock.systemUTC(), RetryPolicy.standard(), initDataToml);
        } catch (KbsException e) {
            throw new IllegalArgumentException("KBS " + config.baseUrl() + ": " + e.getMessage(), e);
        }
    }
}
