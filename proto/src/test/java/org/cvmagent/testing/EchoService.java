package org.cvmagent.testing;

import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import io.grpc.Status;
import org.cvmagent.proto.test.EchoGrpc;
import org.cvmagent.proto.test.EchoMessage;
import org.cvmagent.proto.test.MetadataResponse;
import org.cvmagent.rpc.RpcException;
import org.cvmagent.rpc.ServiceBinding;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The test service {@code cvmagent.test.Echo}, the same contract the Go peer serves: Echo, Fail
 * (FAILED_PRECONDITION), Sleep (honours interruption), Metadata (as text); Unbound has no handler.
 */
public final class EchoService {

    public final AtomicInteger interruptedSleeps = new AtomicInteger();
    public final AtomicInteger completedSleeps = new AtomicInteger();

    public ServiceBinding binding() {
        return ServiceBinding.of(EchoGrpc.getServiceDescriptor())
                .unary(EchoGrpc.getEchoMethod(), (context, request) -> request)
                .unary(EchoGrpc.getFailMethod(), (context, request) -> {
                    throw new RpcException(Status.Code.FAILED_PRECONDITION, "fail requested");
                })
                .unary(EchoGrpc.getSleepMethod(), (context, request) -> {
                    try {
                        Thread.sleep(request.getMillis());
                    } catch (InterruptedException e) {
                        interruptedSleeps.incrementAndGet();
                        throw e;
                    }
                    completedSleeps.incrementAndGet();
                    return Empty.getDefaultInstance();
                })
                .unary(EchoGrpc.getMetadataMethod(), (context, request) ->
                        MetadataResponse.newBuilder().setJson(context.metadata().toString()).build())
                .build();
    }

    public static EchoMessage message(int size) {
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++) {
            bytes[i] = (byte) (i * 31 + 7);
        }
        return EchoMessage.newBuilder().setPayload(ByteString.copyFrom(bytes)).build();
    }
}
