package org.cvmagent.rpc;

import com.google.protobuf.Message;

/**
 * Decides whether a decoded request may reach its handler. Every call on every protocol passes
 * the one gate the {@link Dispatcher} holds, so no handler can forget to ask. The agent's policy
 * engine plugs in here.
 */
@FunctionalInterface
public interface CallGate {

    /** Returns normally to allow; throws (typically PERMISSION_DENIED) to deny. */
    void check(CallContext context, BoundMethod method, Message request) throws RpcException;

    /** The gate of an agent with no policy configured: everything passes, as in kata. */
    CallGate ALLOW_ALL = (context, method, request) -> { };
}
