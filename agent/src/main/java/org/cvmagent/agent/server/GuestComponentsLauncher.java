package org.cvmagent.agent.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.cvmagent.agent.config.KernelCmdline;
import org.cvmagent.agent.initdata.MeasuredInitData;
import org.cvmagent.agent.policy.InitData;
import org.cvmagent.agent.tee.DetectedTee;
import org.cvmagent.attestation.aael.AaelSource;
import org.cvmagent.attestation.aael.AaelStore;
import org.cvmagent.attestation.aael.EventLogConfig;
import org.cvmagent.attestation.aael.RuntimeEventLog;
import org.cvmagent.attestation.aael.WriteAheadRecord;
import org.cvmagent.attestation.attester.Attester;
import org.cvmagent.attestation.attester.InitDataBinding;
import org.cvmagent.attestation.snp.SnpAttester;
import org.cvmagent.attestation.attester.SampleAttester;
import org.cvmagent.attestation.attester.TeeMeasurements;
import org.cvmagent.attestation.kbs.CocoConfigLoader;
import org.cvmagent.attestation.kbs.KbsClient;
import org.cvmagent.attestation.kbs.KbsConfig;
import org.cvmagent.attestation.kbs.KbsException;
import org.cvmagent.attestation.kbs.KbsHttpClientFactory;
import org.cvmagent.attestation.kbs.RetryPolicy;
import org.cvmagent.attestation.cdh.SecureVolumes;
import org.cvmagent.attestation.service.GuestComponentsServer;
import org.cvmagent.attestation.tdx.TdxAttester;
import org.cvmagent.transport.Transports;

/**
 * Decides, as kata-agent does from {@code agent.guest_components_procs}, which CoCo guest components
 * this agent serves, and with what: the TEE {@link org.cvmagent.agent.tee.TeeProbe} found and the KBS
 * named by the init-data's aa.toml (or cdh.toml). Without a TEE nothing attests, and that is logged,
 * not faked.
 */
public final class GuestComponentsLauncher {
    public static final Path DEFAULT_RUN_DIR = Path.of("/run/confidential-containers");
    static final String PROCS_PARAMETER = "agent.guest_components_procs";
    static final int REST_PORT = 8006;
    private static final System.Logger LOG = System.getLogger(GuestComponentsLauncher.class.getName());

    private final KernelCmdline cmdline;
    private final Optional<MeasuredInitData> initData;
    private final Optional<DetectedTee> detected;

    /**
     * @param cmdline  the kernel command line as the agent's mode lets it act on it
     * @param initData init-data after the start-up check
     * @param detected the TEE found at start
     */
    public GuestComponentsLauncher(KernelCmdline cmdline, Optional<MeasuredInitData> initData,
                                   Optional<DetectedTee> detected) {
        this.cmdline = cmdline;
        this.initData = initData;
        this.detected = detected;
    }

    /**
     * Starts what is configured, or nothing.
     *
     * @throws IllegalArgumentException for an unknown {@code agent.guest_components_procs} value or a
     *                                  malformed aa.toml/cdh.toml in the init-data
     */
    public Optional<GuestComponentsServer> launch(Path runDir, Optional<Integer> restPortOverride,
                                                  Transports transports) throws IOException {
        return launch(runDir, restPortOverride, transports, Optional.empty());
    }

    /** @param volumes the agent's volumes for the data hub's SecureMount (UNIMPLEMENTED without) */
    public Optional<GuestComponentsServer> launch(Path runDir, Optional<Integer> restPortOverride,
                                                  Transports transports, Optional<SecureVolumes> volumes)
            throws IOException {
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
        Optional<InitData> document = initData.map(MeasuredInitData::document);
        EventLogConfig eventLogConfig = eventLogConfig(document);
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
            kbs = kbsConfig(document).map(c -> client(c, attester.get(), initData.map(MeasuredInitData::text)));
        }
        Optional<TeeMeasurements> measurements = tee.get().measurements();
        Optional<InitDataBinding> initDataBinding = tee.get().initData();
        Optional<Integer> rest = procs.equals("api-server-rest") ? Optional.of(restPortOverride.orElse(REST_PORT))
                : Optional.empty();
        GuestComponentsServer server = GuestComponentsServer.start(runDir, attester.get(), measurements,
                initDataBinding, tee.get().eventLog(), kbs, rest,
                transports, volumes);
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
        if (detected.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(switch (detected.get()) {
            case DetectedTee.Tdx found -> {
                Optional<AaelStore> store = eventLogConfig.enabled()
                        ? Optional.of(AaelStore.open(AaelStore.DEFAULT_PATH)) : Optional.empty();
                TdxAttester tdx = new TdxAttester(found.tsm(), TdxAttester.DEFAULT_CCEL, found.registers(),
                        store.map(AaelSource.class::cast).orElse(AaelSource.NONE));
                Optional<RuntimeEventLog> eventLog = Optional.empty();
                if (store.isPresent()) {
                    eventLog = Optional.of(RuntimeEventLog.open(tdx, store.get(), WriteAheadRecord.DEFAULT_PATH,
                            eventLogConfig.initPcr()));
                }
                yield new Tee(tdx, Optional.of(tdx), Optional.of(tdx), eventLog);
            }
            case DetectedTee.Snp found -> {
                SnpAttester snp = new SnpAttester(found.source());
                yield new Tee(snp, Optional.empty(), Optional.of(snp), Optional.empty());
            }
            case DetectedTee.SecureExecution found ->
                    new Tee(found.attester(), Optional.empty(), Optional.empty(), Optional.empty());
            case DetectedTee.Sample sample -> {
                LOG.log(System.Logger.Level.WARNING, "using the sample attester: its evidence proves nothing");
                yield new Tee(new SampleAttester(new ObjectMapper()), Optional.empty(), Optional.empty(),
                        Optional.empty());
            }
        });
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
