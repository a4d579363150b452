package org.cvmagent.rpc;

import com.google.protobuf.Message;

/**
 * Decides whether a decoded request may reach its handler. Every call on every protocol passes
 * the one gate the {@link Dispatcher} holds, so no handler can forget to ask. The agent's policy
 * engine plugs in here.
 */
@FunctionalInterface
public interface CallGate {

    /**
     * What a gate lets a call do when it does not refuse it outright.
     * <ul>
     *   <li>{@link #ALLOW}: run the handler as usual;</li>
     *   <li>{@link #REDACT}: run the handler but let it return nothing it read. This is how kata
     *       treats a policy's denial of ReadStdout/ReadStderr: the agent still reads the
     *       process's output and answers empty data, so a denied reader gets no output and the
     *       workload is not left blocked on a full pipe. Only methods bound as
     *       {@linkplain ServiceBinding.Builder#redactable redactable} can be answered this way;
     *       the dispatcher refuses a REDACT verdict for any other.</li>
     * </ul>
     */
    enum Verdict {
        ALLOW,
        REDACT
    }

    /** Returns the verdict for a call it lets through; throws (typically PERMISSION_DENIED) to deny. */
    Verdict check(CallContext context, BoundMethod method, Message request) throws RpcException;

    /** The gate of an agent with no policy configured: everything passes, as in kata. */
    CallGate ALLOW_ALL = (context, method, request) -> Verdict.ALLOW;
}
