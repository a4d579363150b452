package org.cvmagent.rpc;

import com.google.protobuf.Message;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Deadline;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;

import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Serves a {@link ServiceBinding} through grpc-java with the same {@link Dispatcher} the ttRPC
 * server uses: same gate, same handlers, same status codes. Run the gRPC server with a
 * virtual-thread executor, since handlers may block.
 */
public final class GrpcServiceAdapter {

    private static final System.Logger LOG = System.getLogger("org.cvmagent.rpc");
    private static final Context.Key<Map<String, List<String>>> METADATA = Context.key("cvm-metadata");
    private static final Context.Key<String> PEER = Context.key("cvm-peer");

    private final Dispatcher dispatcher;

    public GrpcServiceAdapter(Dispatcher dispatcher) {
        this.dispatcher = dispatcher;
    }

    /** One gRPC service definition per registered service. */
    public List<ServerServiceDefinition> definitions() {
        List<ServerServiceDefinition> definitions = new ArrayList<>();
        for (ServiceBinding binding : dispatcher.registry().services()) {
            definitions.add(ServerInterceptors.intercept(adapt(binding), new CallInfoInterceptor()));
        }
        return definitions;
    }

    @SuppressWarnings("unchecked")
    private ServerServiceDefinition adapt(ServiceBinding binding) {
        var builder = ServerServiceDefinition.builder(binding.grpcDescriptor());
        for (MethodDescriptor<?, ?> descriptor : binding.grpcDescriptor().getMethods()) {
            BoundMethod method = binding.method(descriptor.getBareMethodName()).orElseThrow();
            builder.addMethod((MethodDescriptor<Message, Message>) descriptor,
                    ServerCalls.asyncUnaryCall((request, responses) -> serve(method, request, responses)));
        }
        return builder.build();
    }

    private void serve(BoundMethod method, Message request, StreamObserver<Message> responses) {
        Context grpcContext = Context.current();
        Deadline deadline = grpcContext.getDeadline();
        long deadlineNanos = deadline == null ? CallContext.NO_DEADLINE
                : System.nanoTime() + deadline.timeRemaining(TimeUnit.NANOSECONDS);
        Map<String, List<String>> metadata = METADATA.get(grpcContext);
        String peer = PEER.get(grpcContext);
        CallContext context = new CallContext("grpc", peer == null ? "grpc" : peer, method.fullName(),
                metadata == null ? Map.of() : metadata, deadlineNanos);
        Thread handlerThread = Thread.currentThread();
        Context.CancellationListener onCancel = cancelled -> handlerThread.interrupt();
        grpcContext.addListener(onCancel, Runnable::run);
        try {
            responses.onNext(dispatcher.invoke(context, method, request));
            responses.onCompleted();
        } catch (RpcException e) {
            responses.onError(Status.fromCode(e.code()).withDescription(e.getMessage()).asRuntimeException());
        } catch (InterruptedException e) {
            responses.onError(Status.CANCELLED.withDescription(method.fullName() + " was cancelled")
                    .asRuntimeException());
        } catch (RuntimeException | Error e) {
            // What fails around the handler (the dispatcher answers the handler's own failures):
            // answered INTERNAL here, as the ttRPC server answers it, rather than leaving the
            // status to grpc-java's own handling of a throwing call.
            LOG.log(System.Logger.Level.ERROR, method.fullName() + " failed", e);
            responses.onError(Status.INTERNAL.withDescription(method.fullName() + " failed: " + e)
                    .asRuntimeException());
        } finally {
            grpcContext.removeListener(onCancel);
            Thread.interrupted(); // a late cancellation must not leak into the executor's next task
        }
    }

    /** Exposes headers and the remote address to handlers through the gRPC context. */
    private static final class CallInfoInterceptor implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                           ServerCallHandler<Q, R> next) {
            Map<String, List<String>> metadata = new LinkedHashMap<>();
            for (String key : headers.keys()) {
                if (!key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
                    Iterable<String> values = headers.getAll(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER));
                    List<String> list = new ArrayList<>();
                    if (values != null) {
                        values.forEach(list::add);
                    }
                    metadata.put(key, List.copyOf(list));
                }
            }
            SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
            Context context = Context.current().withValue(METADATA, metadata)
                    .withValue(PEER, "grpc " + (remote == null ? "unknown" : remote.toString()));
            return Contexts.interceptCall(context, call, headers, next);
        }
    }
}
