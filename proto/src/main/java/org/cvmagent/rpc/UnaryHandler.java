package org.cvmagent.rpc;

/**
 * The implementation of one unary method. Runs on its own (virtual) thread and may block; it is
 * interrupted when the caller's deadline passes or the server shuts down.
 */
@FunctionalInterface
public interface UnaryHandler<Q, R> {
    R handle(CallContext context, Q request) throws RpcException, InterruptedException;
}
