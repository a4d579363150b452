package org.cvmagent.agent.server;

import org.cvmagent.rpc.Dispatcher;
import org.cvmagent.rpc.GrpcServiceAdapter;
import org.cvmagent.transport.AgentAddress;
import org.cvmagent.transport.Transports;
import org.cvmagent.ttrpc.ServerOptions;
import org.cvmagent.ttrpc.TtrpcServer;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;

/**
 * The agent's front ends: ttRPC on the kata address (what the shim dials) and, when configured,
 * gRPC for tools and peer pods, both over the same {@link Dispatcher}.
 */
public final class AgentServer {

    private final Dispatcher dispatcher;
    private final Transports transports;
    private final TtrpcServer ttrpc;
    private volatile GrpcEndpoints.GrpcServer grpc;

    public AgentServer(Dispatcher dispatcher, Transports transports) {
        this.dispatcher = dispatcher;
        this.transports = transports;
        this.ttrpc = new TtrpcServer(dispatcher, ServerOptions.DEFAULTS);
    }

    /** Binds and starts serving; a bad or busy address fails here, before anything is served. */
    public void start(String ttrpcAddress, Optional<String> grpcAddress) throws IOException {
        AgentAddress address = parse(ttrpcAddress, "agent.server_addr");
        Optional<AgentAddress> grpcParsed = grpcAddress.isPresent()
                ? Optional.of(parse(grpcAddress.get(), "grpc_server_addr")) : Optional.empty();
        if (grpcParsed.isPresent()) {
            GrpcTransport.requireAvailable(AgentServer.class.getClassLoader());
        }
        try {
            ttrpc.serve(transports.listen(address));
        } catch (IllegalArgumentException e) {
            throw new IOException("agent.server_addr: " + e.getMessage(), e);
        }
        if (grpcParsed.isPresent()) {
            grpc = GrpcEndpoints.start(grpcParsed.get(), new GrpcServiceAdapter(dispatcher).definitions());
        }
    }

    private static AgentAddress parse(String text, String setting) throws IOException {
        try {
            return AgentAddress.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IOException(setting + ": " + e.getMessage(), e);
        }
    }

    /** Stops accepting, lets calls in flight finish for up to {@code grace}, then closes. */
    public void shutdown(Duration grace) throws InterruptedException {
        ttrpc.shutdown(grace);
        GrpcEndpoints.GrpcServer g = grpc;
        if (g != null) {
            g.shutdown(grace);
        }
    }

    public TtrpcServer ttrpc() {
        return ttrpc;
    }
}
