package org.cvmagent.agent.cli;

import com.google.protobuf.Message;
import io.grpc.MethodDescriptor;
import org.cvmagent.rpc.RpcException;
import org.cvmagent.ttrpc.TtrpcClient;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;

/** {@link AgentClient} over ttRPC, as the kata shim talks to the agent. */
public final class TtrpcAgentClient implements AgentClient {

    private final TtrpcClient client;

    public TtrpcAgentClient(TtrpcClient client) {
        this.client = client;
    }

    @Override
    public Message call(MethodDescriptor<?, ?> method, Message request, Duration timeout)
            throws RpcException, IOException, InterruptedException {
        Message prototype = Prototypes.response(method);
        return client.call(method.getServiceName(), method.getBareMethodName(), request,
                prototype.getParserForType(), timeout, Map.of());
    }

    @Override
    public void close() {
        client.close();
    }
}
