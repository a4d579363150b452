package org.cvmagent.rpc;

import com.google.protobuf.Message;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;

import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A service contract (taken from the grpc-java descriptor generated from our .proto files) with
 * handlers bound to some or all of its methods. Methods without a handler stay declared, so a call
 * to them passes the gate and then answers UNIMPLEMENTED naming the method.
 */
public final class ServiceBinding {

    private final ServiceDescriptor descriptor;
    private final Map<String, BoundMethod> methods;

    private ServiceBinding(ServiceDescriptor descriptor, Map<String, BoundMethod> methods) {
        this.descriptor = descriptor;
        this.methods = Collections.unmodifiableMap(methods);
    }

    public static Builder of(ServiceDescriptor descriptor) {
        return new Builder(descriptor);
    }

    public String serviceName() {
        return descriptor.getName();
    }

    public ServiceDescriptor grpcDescriptor() {
        return descriptor;
    }

    public Collection<BoundMethod> methods() {
        return methods.values();
    }

    public Optional<BoundMethod> method(String name) {
        return Optional.ofNullable(methods.get(name));
    }

    public static final class Builder {
        private final ServiceDescriptor descriptor;
        private final Map<String, UnaryHandler<Message, Message>> handlers = new LinkedHashMap<>();
        private final Set<String> redactable = new HashSet<>();

        private Builder(ServiceDescriptor descriptor) {
            this.descriptor = descriptor;
        }

        /**
         * Binds a handler that can serve a redacted call: given {@link CallContext#redacted()}, it
         * does its work but returns nothing it read (kata's answer to a denied ReadStdout).
         */
        public <Q extends Message, R extends Message> Builder redactable(MethodDescriptor<Q, R> method,
                                                                         UnaryHandler<Q, R> handler) {
            unary(method, handler);
            redactable.add(method.getBareMethodName());
            return this;
        }

        public <Q extends Message, R extends Message> Builder unary(MethodDescriptor<Q, R> method,
                                                                    UnaryHandler<Q, R> handler) {
            if (!descriptor.getMethods().contains(method)) {
                throw new IllegalArgumentException(method.getFullMethodName()
                        + " is not a method of " + descriptor.getName());
            }
            Class<? extends Message> requestType = prototypeOf(method.getRequestMarshaller()).getClass();
            UnaryHandler<Message, Message> erased = (context, request) -> {
                @SuppressWarnings("unchecked")
                Q typed = (Q) requestType.cast(request);
                return handler.handle(context, typed);
            };
            if (handlers.putIfAbsent(method.getBareMethodName(), erased) != null) {
                throw new IllegalArgumentException(method.getFullMethodName() + " is bound twice");
            }
            return this;
        }

        public ServiceBinding build() {
            Map<String, BoundMethod> bound = new LinkedHashMap<>();
            for (MethodDescriptor<?, ?> method : descriptor.getMethods()) {
                if (method.getType() != MethodDescriptor.MethodType.UNARY) {
                    throw new IllegalArgumentException(method.getFullMethodName()
                            + " is streaming; only unary methods can be served");
                }
                String name = method.getBareMethodName();
                bound.put(name, new BoundMethod(descriptor.getName(), name,
                        prototypeOf(method.getRequestMarshaller()),
                        prototypeOf(method.getResponseMarshaller()),
                        Optional.ofNullable(handlers.get(name)), redactable.contains(name)));
            }
            return new ServiceBinding(descriptor, bound);
        }

        private static Message prototypeOf(MethodDescriptor.Marshaller<?> marshaller) {
            if (marshaller instanceof MethodDescriptor.PrototypeMarshaller<?> p
                    && p.getMessagePrototype() instanceof Message message) {
                return message;
            }
            throw new IllegalArgumentException("not a protobuf marshaller: " + marshaller);
        }
    }
}
