package org.cvmagent.agent.cli;

import com.google.protobuf.Message;
import io.grpc.MethodDescriptor;

/** Default instances of a method's request and response types, from grpc-java's marshallers. */
final class Prototypes {

    private Prototypes() {
    }

    static Message request(MethodDescriptor<?, ?> method) {
        return of(method.getRequestMarshaller());
    }

    static Message response(MethodDescriptor<?, ?> method) {
        return of(method.getResponseMarshaller());
    }

    private static Message of(MethodDescriptor.Marshaller<?> marshaller) {
        if (marshaller instanceof MethodDescriptor.PrototypeMarshaller<?> p && p.getMessagePrototype() instanceof Message m) {
            return m;
        }
        throw new IllegalStateException("not a protobuf marshaller: " + marshaller);
    }
}
