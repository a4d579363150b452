package org.cvmagent.rpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;

import java.util.Objects;

/**
 * The one path every call takes, whichever protocol carried it: resolve the method, decode the
 * request, pass the gate, run the handler. Handler failures that are not {@link RpcException}s
 * become INTERNAL so a bug answers an error instead of killing the connection. That includes
 * {@link Error}s: a NoClassDefFoundError from a broken class path, a StackOverflowError from deep
 * input or an OutOfMemoryError from one oversized allocation are the failure of one call, and the
 * peer waiting for its answer would otherwise wait forever.
 */
public final class Dispatcher {

    private static final System.Logger LOG = System.getLogger("org.cvmagent.rpc");

    private final ServiceRegistry registry;
    private final CallGate gate;

    public Dispatcher(ServiceRegistry registry, CallGate gate) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.gate = Objects.requireNonNull(gate, "gate");
    }

    public ServiceRegistry registry() {
        return registry;
    }

    /** Finds a method; unknown service or method → UNIMPLEMENTED naming it. */
    public BoundMethod resolve(String service, String method) throws RpcException {
        ServiceBinding binding = registry.service(service).orElseThrow(() ->
                RpcException.unimplemented("service " + service));
        return binding.method(method).orElseThrow(() ->
                RpcException.unimplemented(service + "/" + method));
    }

    /**
     * Decodes a request payload; malformed bytes → INVALID_ARGUMENT. The message's {@code bytes}
     * fields share {@code payload}'s buffer ({@link AliasingParse}): it must never be written again.
     */
    public Message decode(BoundMethod method, ByteString payload) throws RpcException {
        try {
            return AliasingParse.parse(method.requestParser(), payload);
        } catch (InvalidProtocolBufferException e) {
            throw RpcException.invalidArgument("cannot decode " + method.requestTypeName()
                    + " for " + method.fullName() + ": " + e.getMessage());
        }
    }

    /**
     * Decodes a request payload after reserving, from the call's budget, what decoding it will
     * allocate; malformed bytes → INVALID_ARGUMENT, over the budget → RESOURCE_EXHAUSTED, in
     * both cases before anything of the message is built.
     */
    public Message decode(BoundMethod method, ByteString payload, MemoryBudget.Reservation memory)
            throws RpcException {
        long cost;
        try {
            cost = DecodedCost.of(method.requestPrototype().getDescriptorForType(), payload);
        } catch (InvalidProtocolBufferException e) {
            throw RpcException.invalidArgument("cannot decode " + method.requestTypeName()
                    + " for " + method.fullName() + ": " + e.getMessage());
        }
        try {
            memory.grow(cost, "decoding " + method.requestTypeName() + " (" + payload.size() + " bytes)");
        } catch (MemoryBudgetExceededException e) {
            throw e.toRpcException();
        }
        return decode(method, payload);
    }

    /** Gate, then handler: as the call came, or redacted when the gate said so. */
    public Message invoke(CallContext context, BoundMethod method, Message request)
            throws RpcException, InterruptedException {
        CallGate.Verdict verdict;
        try {
            verdict = gate.check(context, method, request);
        } catch (MemoryBudgetExceededException e) {
            // a gate that could not afford to look at the request: refused, not decided
            throw e.toRpcException();
        }
        CallContext handlerContext = context;
        if (verdict == CallGate.Verdict.REDACT) {
            if (!method.redactable()) {
                // Fail closed: a handler that does not know about redaction would return the data.
                throw RpcException.permissionDenied(method.requestTypeName() + " is blocked by policy");
            }
            handlerContext = context.withRedaction();
        }
        var handler = method.handler().orElseThrow(() -> RpcException.unimplemented(method.fullName()));
        try {
            Message response = handler.handle(handlerContext, request);
            if (response == null) {
                throw RpcException.internal(method.fullName() + " returned no response", null);
            }
            return response;
        } catch (RpcException | InterruptedException e) {
            throw e;
        } catch (MemoryBudgetExceededException e) {
            throw e.toRpcException();
        } catch (RuntimeException | Error e) {
            LOG.log(System.Logger.Level.ERROR, "handler " + method.fullName() + " failed", e);
            throw RpcException.internal(method.fullName() + " failed: " + e, e);
        }
    }
}
