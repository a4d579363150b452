package org.cvmagent.rpc;

import com.google.protobuf.Message;
import com.google.protobuf.Parser;

import java.util.Objects;
import java.util.Optional;

/**
 * One method of a service with the parser for its request and, when implemented, its handler.
 *
 * @param service   fully qualified service name, e.g. {@code grpc.AgentService}
 * @param method    method name, e.g. {@code CreateContainer}
 * @param requestPrototype default instance of the request type (gives parser and type name)
 * @param responsePrototype default instance of the response type
 * @param handler   empty when the method is declared by the contract but not implemented
 * @param redactable whether the handler honours {@link CallContext#redacted()}, so a gate may
 *                   answer it with {@link CallGate.Verdict#REDACT} instead of a refusal
 */
public record BoundMethod(String service, String method, Message requestPrototype,
                          Message responsePrototype,
                          Optional<UnaryHandler<Message, Message>> handler, boolean redactable) {

    public BoundMethod {
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(requestPrototype, "requestPrototype");
        Objects.requireNonNull(responsePrototype, "responsePrototype");
        Objects.requireNonNull(handler, "handler");
    }

    public String fullName() {
        return service + "/" + method;
    }

    /** The request message's simple name, e.g. {@code CreateContainerRequest} (policy rule name). */
    public String requestTypeName() {
        return requestPrototype.getDescriptorForType().getName();
    }

    public Parser<? extends Message> requestParser() {
        return requestPrototype.getParserForType();
    }
}
