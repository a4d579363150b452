package org.cvmagent.agent.cli;

import com.google.protobuf.Message;
import io.grpc.CallOptions;
import org.cvmagent.agent.server.GrpcEndpoints;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import org.cvmagent.rpc.RpcException;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** {@link AgentClient} over gRPC, for an agent's optional gRPC address. */
public final class GrpcAgentClient implements AgentClient {

    private final GrpcEndpoints.GrpcChannel channel;

    public GrpcAgentClient(GrpcEndpoints.GrpcChannel channel) {
        this.channel = channel;
    }

    @Override
    @SuppressWarnings("unchecked")
    public Message call(MethodDescriptor<?, ?> method, Message request, Duration timeout)
            throws RpcException, IOException {
        try {
            return ClientCalls.blockingUnaryCall(channel.channel(), (MethodDescriptor<Message, Message>) method,
                    CallOptions.DEFAULT.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS), request);
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == io.grpc.Status.Code.UNAVAILABLE) {
                throw new IOException(String.valueOf(e.getStatus().getDescription()), e);
            }
            throw new RpcException(e.getStatus().getCode(), String.valueOf(e.getStatus().getDescription()), e);
        }
    }

    @Override
    public void close() {
        channel.close();
    }
}
