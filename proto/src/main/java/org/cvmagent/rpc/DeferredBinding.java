package org.cvmagent.rpc;

import com.google.protobuf.Message;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;

import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * A service that is served before its handlers exist: every method of the contract waits for the
 * real {@link ServiceBinding} to be completed, then runs its handler. A server can so answer its
 * first health check while what the other methods need (for the agent: the container host, image
 * settings, guest components) is still being built, without making those methods fail meanwhile.
 *
 * <p>The gate runs as for any method, before the wait. Which methods may be redacted must be
 * known up front (the dispatcher checks it before the handler runs); a redacted call that reaches
 * a real method that cannot be redacted is refused, never answered with data.
 */
public final class DeferredBinding {

    private DeferredBinding() {
    }

    /**
     * @param redactable the methods whose real handlers honour {@link CallContext#redacted()}
     * @param real       completed with the real binding, or exceptionally when it cannot be built
     *                   (calls then answer UNAVAILABLE with the reason)
     */
    public static ServiceBinding of(ServiceDescriptor descriptor, Set<String> redactable,
                                    CompletableFuture<ServiceBinding> real) {
        Objects.requireNonNull(real, "real");
        ServiceBinding.Builder builder = ServiceBinding.of(descriptor);
        for (MethodDescriptor<?, ?> method : descriptor.getMethods()) {
            @SuppressWarnings("unchecked")
            MethodDescriptor<Message, Message> typed = (MethodDescriptor<Message, Message>) method;
            String name = method.getBareMethodName();
            UnaryHandler<Message, Message> forward = (context, request) -> forward(real, name, context, request);
            if (redactable.contains(name)) {
                builder.redactable(typed, forward);
            } else {
                builder.unary(typed, forward);
            }
        }
        return builder.build();
    }

    private static Message forward(CompletableFuture<ServiceBinding> real, String name, CallContext context,
                                   Message request) throws RpcException, InterruptedException {
        BoundMethod target = await(real).method(name)
                .orElseThrow(() -> new IllegalStateException("the real binding lacks " + name));
        if (context.redacted() && !target.redactable()) {
            // Fail closed: the handler would not know it must return nothing.
            throw RpcException.permissionDenied(target.requestTypeName() + " is blocked by policy");
        }
        UnaryHandler<Message, Message> handler = target.handler()
                .orElseThrow(() -> RpcException.unimplemented(target.fullName()));
        return handler.handle(context, request);
    }

    private static ServiceBinding await(CompletableFuture<ServiceBinding> real) throws RpcException,
            InterruptedException {
        try {
            return real.get();
        } catch (ExecutionException | CancellationException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            throw new RpcException(Status.Code.UNAVAILABLE, "the agent could not start: " + cause.getMessage(), cause);
        }
    }
}
