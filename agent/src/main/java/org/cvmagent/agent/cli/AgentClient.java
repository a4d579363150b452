package org.cvmagent.agent.cli;

import com.google.protobuf.Message;
import io.grpc.MethodDescriptor;
import org.cvmagent.rpc.RpcException;

import java.io.IOException;
import java.time.Duration;

/** A connection to an agent that calls one method at a time, over ttRPC or gRPC. */
public interface AgentClient extends AutoCloseable {

    Message call(MethodDescriptor<?, ?> method, Message request, Duration timeout)
            throws RpcException, IOException, InterruptedException;

    @Override
    void close();
}
