package org.cvmagent.agent.policy;

import com.google.protobuf.Message;
import io.grpc.MethodDescriptor;
import org.cvmagent.proto.agent.AgentServiceGrpc;

import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The request types of kata's AgentService by message name ({@code CreateContainerRequest}), the
 * names kata's policies have rules for. Several methods share one type (ReadStdout and ReadStderr
 * both take ReadStreamRequest); policies see the type, not the method.
 */
public final class RequestTypes {

    private final Map<String, Message> prototypes;

    private RequestTypes(Map<String, Message> prototypes) {
        this.prototypes = Collections.unmodifiableMap(prototypes);
    }

    public static RequestTypes agentService() {
        Map<String, Message> prototypes = new TreeMap<>();
        for (MethodDescriptor<?, ?> method : AgentServiceGrpc.getServiceDescriptor().getMethods()) {
            if (method.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<?> marshaller
                    && marshaller.getMessagePrototype() instanceof Message prototype) {
                prototypes.put(prototype.getDescriptorForType().getName(), prototype);
            }
        }
        return new RequestTypes(prototypes);
    }

    /** The request message names, sorted. */
    public java.util.Set<String> names() {
        return prototypes.keySet();
    }

    /** A fresh builder for the named request type. */
    public Optional<Message.Builder> builder(String requestType) {
        return Optional.ofNullable(prototypes.get(requestType)).map(Message::newBuilderForType);
    }
}
