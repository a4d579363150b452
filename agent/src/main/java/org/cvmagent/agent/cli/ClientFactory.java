package org.cvmagent.agent.cli;

import org.cvmagent.agent.server.GrpcEndpoints;
import org.cvmagent.transport.AgentAddress;
import org.cvmagent.transport.Transports;
import org.cvmagent.ttrpc.TtrpcClient;

import java.io.IOException;
import java.time.Duration;

/** Connects the CLI to an agent address over ttRPC or gRPC. */
public class ClientFactory {

    private final Transports transports;

    public ClientFactory(Transports transports) {
        this.transports = transports;
    }

    /**
     * @throws IllegalArgumentException the address is malformed
     * @throws IOException              nothing answers there
     */
    public AgentClient connect(String address, boolean grpc, Duration timeout) throws IOException {
        AgentAddress parsed = AgentAddress.parse(address);
        if (grpc) {
            return new GrpcAgentClient(GrpcEndpoints.channel(parsed));
        }
        return new TtrpcAgentClient(new TtrpcClient(transports.dial(parsed, timeout)));
    }
}
