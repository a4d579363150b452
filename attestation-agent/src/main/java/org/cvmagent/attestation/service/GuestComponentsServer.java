package org.cvmagent.attestation.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.cvmagent.attestation.aael.RuntimeEventLog;
import org.cvmagent.attestation.attester.Attester;
import org.cvmagent.attestation.attester.InitDataBinding;
import org.cvmagent.attestation.attester.TeeMeasurements;
import org.cvmagent.attestation.cdh.ResourceFetcher;
import org.cvmagent.attestation.cdh.SecureVolumes;
import org.cvmagent.attestation.kbs.KbsClient;
import org.cvmagent.rpc.CallGates;
import org.cvmagent.rpc.Dispatcher;
import org.cvmagent.rpc.ServiceBinding;
import org.cvmagent.rpc.ServiceRegistry;
import org.cvmagent.transport.AgentAddress;
import org.cvmagent.transport.Transports;
import org.cvmagent.ttrpc.ServerOptions;
import org.cvmagent.ttrpc.TtrpcServer;

/**
 * The CoCo guest components this JVM serves next to the agent: the attestation agent and the
 * confidential data hub on their ttRPC sockets under {@code /run/confidential-containers}, and the
 * api-server-rest facade. One JVM for all of them keeps the guest's memory small; the sockets are
 * the ones CoCo's own binaries use, so their clients work unchanged.
 */
public final class GuestComponentsServer implements AutoCloseable {
    /** CoCo's socket paths, relative to the run directory. */
    public static final String AA_SOCKET = "attestation-agent/attestation-agent.sock";
    public static final String CDH_SOCKET = "cdh.sock";

    private final List<TtrpcServer> servers;
    private final Optional<ApiServerRest> rest;

    private GuestComponentsServer(List<TtrpcServer> servers, Optional<ApiServerRest> rest) {
        this.servers = servers;
        this.rest = rest;
    }

    /**
     * @param restPort where api-server-rest listens on 127.0.0.1, or empty for none
     * @param initData the TEE's launch-time field init-data is checked against, where it has one
     * @param eventLog the AAEL runtime event log, when aa.toml enables it
     * @param kbs      the KBS client (the CDH and tokens need one); empty serves the AA alone
     */
    public static GuestComponentsServer start(Path runDir, Attester attester, Optional<TeeMeasurements> measurements,
                                              Optional<InitDataBinding> initData, Optional<RuntimeEventLog> eventLog,
                                              Optional<KbsClient> kbs, Optional<Integer> restPort,
                                              Transports transports) throws IOException {
        return start(runDir, attester, measurements, initData, eventLog, kbs, restPort, transports, Optional.empty());
    }

    /** @param volumes the agent's volumes for the data hub's SecureMount; without them it is UNIMPLEMENTED */
    public static GuestComponentsServer start(Path runDir, Attester attester, Optional<TeeMeasurements> measurements,
                                              Optional<InitDataBinding> initData, Optional<RuntimeEventLog> eventLog,
                                              Optional<KbsClient> kbs, Optional<Integer> restPort,
                                              Transports transports, Optional<SecureVolumes> volumes)
            throws IOException {
        List<TtrpcServer> servers = new ArrayList<>();
        Optional<ApiServerRest> rest = Optional.empty();
        try {
            servers.add(serve(runDir.resolve(AA_SOCKET), List.of(
                    new AttestationAgentHandlers(attester, measurements, initData, eventLog, kbs).binding()), transports));
            if (kbs.isPresent()) {
                ResourceFetcher fetcher = new ResourceFetcher(kbs.get());
                servers.add(serve(runDir.resolve(CDH_SOCKET),
                        new ConfidentialDataHubHandlers(fetcher, new ObjectMapper(), volumes).bindings(), transports));
                if (restPort.isPresent()) {
                    rest = Optional.of(ApiServerRest.start(restPort.get(), fetcher, kbs.get()));
                }
            }
            return new GuestComponentsServer(List.copyOf(servers), rest);
        } catch (IOException | RuntimeException e) {
            servers.forEach(TtrpcServer::close);
            throw e;
        }
    }

    private static TtrpcServer serve(Path socket, List<ServiceBinding> bindings, Transports transports)
            throws IOException {
        Files.createDirectories(socket.getParent());
        // a socket left by a previous run would make bind fail; nothing else lives at this path
        Files.deleteIfExists(socket);
        TtrpcServer server = new TtrpcServer(new Dispatcher(new ServiceRegistry(bindings), CallGates.all(List.of())),
                ServerOptions.DEFAULTS);
        server.serve(transports.listen(AgentAddress.parse("unix://" + socket)));
        return server;
    }

    public Optional<Integer> restPort() {
        return rest.map(ApiServerRest::port);
    }

    @Override
    public void close() {
        rest.ifPresent(ApiServerRest::close);
        for (TtrpcServer s : servers) {
            try {
                s.shutdown(Duration.ofSeconds(2));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                s.close();
            }
        }
    }
}
