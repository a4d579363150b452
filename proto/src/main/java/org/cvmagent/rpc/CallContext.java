package org.cvmagent.rpc;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a handler may know about the call carrying its request, independent of the protocol.
 *
 * @param protocol       {@code ttrpc} or {@code grpc}
 * @param peer           description of the connection, for logs
 * @param fullMethodName e.g. {@code grpc.AgentService/CreateContainer}
 * @param metadata       request metadata (ttRPC KeyValue pairs or gRPC headers)
 * @param deadlineNanos  {@link System#nanoTime()} value after which the caller has given up, or
 *                       {@link #NO_DEADLINE}
 * @param redacted       the gate let the call run without returning what it reads
 *                       ({@link CallGate.Verdict#REDACT}); set by the dispatcher only
 * @param memory         the call's share of the {@link MemoryBudget}: whoever is about to build
 *                       something large for this call (the gate's policy input) grows it first
 */
public record CallContext(String protocol, String peer, String fullMethodName,
                          Map<String, List<String>> metadata, long deadlineNanos, boolean redacted,
                          MemoryBudget.Reservation memory) {

    public static final long NO_DEADLINE = Long.MAX_VALUE;

    public CallContext {
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(peer, "peer");
        Objects.requireNonNull(fullMethodName, "fullMethodName");
        Objects.requireNonNull(memory, "memory");
        metadata = Map.copyOf(metadata);
    }

    /** A call as a protocol front end receives it: not redacted (only the gate decides that). */
    public CallContext(String protocol, String peer, String fullMethodName,
                       Map<String, List<String>> metadata, long deadlineNanos, MemoryBudget.Reservation memory) {
        this(protocol, peer, fullMethodName, metadata, deadlineNanos, false, memory);
    }

    /**
     * A call charged to no budget: for front ends whose peer is trusted with its own memory (the
     * optional gRPC server, on a unix socket named by the image's configuration) and for tests.
     */
    public CallContext(String protocol, String peer, String fullMethodName,
                       Map<String, List<String>> metadata, long deadlineNanos) {
        this(protocol, peer, fullMethodName, metadata, deadlineNanos, false,
                MemoryBudget.unbounded().tryReserve(0).orElseThrow());
    }

    /** The same call, to be answered without what it reads. */
    public CallContext withRedaction() {
        return new CallContext(protocol, peer, fullMethodName, metadata, deadlineNanos, true, memory);
    }

    public boolean hasDeadline() {
        return deadlineNanos != NO_DEADLINE;
    }

    /** Nanoseconds left before the deadline; negative once it passed. */
    public long remainingNanos() {
        return hasDeadline() ? deadlineNanos - System.nanoTime() : Long.MAX_VALUE;
    }
}
