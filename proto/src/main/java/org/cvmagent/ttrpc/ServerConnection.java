package org.cvmagent.ttrpc;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.MessageLite;
import io.grpc.Status.Code;
import org.cvmagent.proto.ttrpc.KeyValue;
import org.cvmagent.proto.ttrpc.Request;
import org.cvmagent.proto.ttrpc.Response;
import org.cvmagent.rpc.AliasingParse;
import org.cvmagent.rpc.BoundMethod;
import org.cvmagent.rpc.CallContext;
import org.cvmagent.rpc.DecodedCost;
import org.cvmagent.rpc.Dispatcher;
import org.cvmagent.rpc.MemoryBudget;
import org.cvmagent.rpc.MemoryBudgetExceededException;
import org.cvmagent.rpc.RpcException;
import org.cvmagent.transport.Connection;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import static java.lang.System.Logger.Level.DEBUG;
import static java.lang.System.Logger.Level.ERROR;
import static java.lang.System.Logger.Level.WARNING;

/**
 * One accepted ttRPC connection: reads frames on its own thread, runs each request on a virtual
 * thread, writes responses one whole frame at a time. Any failure closes this connection only.
 * Every call holds a reservation of the server's {@link MemoryBudget} from the moment its frame
 * header is read until its thread ends, grown before each large allocation (the frame, the
 * ttRPC envelope, the request, the policy input); a call the budget cannot take is answered
 * RESOURCE_EXHAUSTED.
 */
final class ServerConnection {

    private static final System.Logger LOG = System.getLogger("org.cvmagent.ttrpc");
    /**
     * What a call costs besides its messages: a virtual thread (its object and, while parked, its
     * stack chunk on the heap), the call's bookkeeping, its context and its response.
     */
    static final long CALL_OVERHEAD = 8 * 1024;

    private final long id;
    private final Connection connection;
    private final Dispatcher dispatcher;
    private final ServerOptions options;
    private final MemoryBudget budget;
    private final ScheduledExecutorService deadlines;
    private final BooleanSupplier shuttingDown;
    private final Consumer<ServerConnection> onClosed;
    private final Map<Integer, Call> calls = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private FrameWriter writer;

    ServerConnection(long id, Connection connection, Dispatcher dispatcher, ServerOptions options,
                     MemoryBudget budget, ScheduledExecutorService deadlines, BooleanSupplier shuttingDown,
                     Consumer<ServerConnection> onClosed) {
        this.id = id;
        this.connection = connection;
        this.dispatcher = dispatcher;
        this.options = options;
        this.budget = budget;
        this.deadlines = deadlines;
        this.shuttingDown = shuttingDown;
        this.onClosed = onClosed;
    }

    long id() {
        return id;
    }

    int callsInFlight() {
        return calls.size();
    }

    void run() {
        try {
            writer = new FrameWriter(connection.output());
            FrameReader reader = new FrameReader(connection.input(), options.maxPayload(), budget);
            LOG.log(DEBUG, () -> "ttrpc connection " + id + " from " + connection.describe());
            while (!closed.get()) {
                FrameReader.Reserved frame;
                try {
                    frame = reader.readReserved();
                } catch (FrameTooLargeException e) {
                    skipped(e.streamId(), e.type(), e.getMessage());
                    continue;
                } catch (FrameOverBudgetException e) {
                    skipped(e.streamId(), e.type(), e.getMessage());
                    continue;
                }
                if (frame == null) {
                    break;
                }
                onFrame(frame.frame(), frame.reservation());
            }
        } catch (IOException e) {
            if (!closed.get()) {
                LOG.log(DEBUG, () -> "connection " + id + " ended: " + e);
            }
        } catch (RuntimeException e) {
            LOG.log(WARNING, "connection " + id + " failed, closing it", e);
        } finally {
            close();
        }
    }

    /** A frame the reader skipped: a request among them still gets its answer. */
    private void skipped(int streamId, byte type, String why) throws IOException {
        if (type == Frame.TYPE_REQUEST) {
            reply(streamId, error(Code.RESOURCE_EXHAUSTED, why));
        }
        LOG.log(WARNING, "connection " + id + ": " + why);
    }

    /** Hands the reservation to the call a request starts, or releases it. */
    private void onFrame(Frame frame, MemoryBudget.Reservation reservation) throws IOException {
        boolean handedOver = false;
        try {
            if (frame.type() == Frame.TYPE_REQUEST) {
                handedOver = onRequest(frame, reservation);
            } else {
                onOtherFrame(frame);
            }
        } finally {
            if (!handedOver) {
                reservation.close();
            }
        }
    }

    private void onOtherFrame(Frame frame) {
        switch (frame.type()) {
            case Frame.TYPE_DATA -> LOG.log(DEBUG, () -> "connection " + id
                    + ": data frame on stream " + frame.unsignedStreamId() + " dropped (no streaming methods)");
            default -> LOG.log(DEBUG, () -> "connection " + id + ": frame of unknown type "
                    + frame.type() + " dropped");
        }
    }

    /** Answers the request or starts its call; returns whether the call took the reservation. */
    private boolean onRequest(Frame frame, MemoryBudget.Reservation reservation) throws IOException {
        int streamId = frame.streamId();
        long unsignedId = frame.unsignedStreamId();
        if ((unsignedId & 1) == 0) {
            reply(streamId, error(Code.INVALID_ARGUMENT, "stream id " + unsignedId
                    + " must be odd for client-initiated streams"));
            return false;
        }
        // Only an id still in flight is refused: clients that allocate ids on one thread and send
        // from another (ttrpc-rust) may put increasing ids on the wire out of order.
        if (calls.containsKey(streamId)) {
            reply(streamId, error(Code.INVALID_ARGUMENT, "stream id " + unsignedId
                    + " is already in use by a call in flight"));
            return false;
        }
        if (shuttingDown.getAsBoolean()) {
            reply(streamId, error(Code.UNAVAILABLE, "agent is shutting down"));
            return false;
        }
        if (calls.size() >= options.maxCallsPerConnection()) {
            reply(streamId, error(Code.RESOURCE_EXHAUSTED, "too many calls in flight on this connection ("
                    + options.maxCallsPerConnection() + ")"));
            return false;
        }
        if ((frame.flags() & Frame.FLAG_REMOTE_OPEN) != 0) {
            reply(streamId, error(Code.UNIMPLEMENTED, "streaming calls are not supported"));
            return false;
        }
        Request request;
        try {
            reservation.grow(CALL_OVERHEAD + DecodedCost.of(Request.getDescriptor(), frame.payload()),
                    "ttrpc request on stream " + unsignedId);
            request = AliasingParse.parse(Request.parser(), frame.payload());
        } catch (InvalidProtocolBufferException e) {
            reply(streamId, error(Code.INVALID_ARGUMENT, "malformed ttrpc request: " + e.getMessage()));
            return false;
        } catch (MemoryBudgetExceededException e) {
            reply(streamId, error(Code.RESOURCE_EXHAUSTED, e.getMessage()));
            return false;
        }
        Call call = new Call(streamId, request, reservation);
        calls.put(streamId, call);
        call.start();
        return true;
    }

    /** Sends a response frame; a response too large for the peer becomes RESOURCE_EXHAUSTED. */
    private void reply(int streamId, Response response) throws IOException {
        int size = response.getSerializedSize();
        if (size > options.maxPayload()) {
            response = error(Code.RESOURCE_EXHAUSTED, "response of " + size
                    + " bytes is over the limit of " + options.maxPayload());
        }
        writer.write(streamId, Frame.TYPE_RESPONSE, (byte) 0, response);
    }

    /** Sends a successful response, {@code Response{payload = result}}, without copying the result first. */
    private void replyPayload(int streamId, MessageLite result) throws IOException {
        PayloadResponse response = new PayloadResponse(result);
        int size = response.size();
        if (size > options.maxPayload()) {
            reply(streamId, error(Code.RESOURCE_EXHAUSTED, "response of " + size
                    + " bytes is over the limit of " + options.maxPayload()));
            return;
        }
        writer.write(streamId, Frame.TYPE_RESPONSE, (byte) 0, size, response);
    }

    private static Response error(Code code, String message) {
        return Response.newBuilder().setStatus(WireStatus.of(code, message)).build();
    }

    void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            connection.close();
        } catch (IOException e) {
            LOG.log(DEBUG, () -> "closing connection " + id + ": " + e);
        }
        // Nobody can receive these answers any more; stop the work, as containerd cancels contexts.
        calls.values().forEach(Call::cancel);
        onClosed.accept(this);
    }

    /** Writes one answer frame. */
    private interface Answer {
        void send() throws IOException;
    }

    /** One request being served. Exactly one response is sent, by the handler or the deadline. */
    private final class Call {
        private final int streamId;
        private final Request request;
        private final MemoryBudget.Reservation memory;
        private final AtomicBoolean answered = new AtomicBoolean();
        private volatile Thread thread;
        private volatile ScheduledFuture<?> deadline;

        Call(int streamId, Request request, MemoryBudget.Reservation memory) {
            this.streamId = streamId;
            this.request = request;
            this.memory = memory;
        }

        void start() {
            long timeout = request.getTimeoutNano();
            long deadlineNanos = timeout > 0 ? System.nanoTime() + timeout : CallContext.NO_DEADLINE;
            thread = Thread.ofVirtual().name("ttrpc-call-" + id + "-" + Integer.toUnsignedString(streamId))
                    .start(() -> serveThenRelease(deadlineNanos));
            if (timeout > 0) {
                deadline = deadlines.schedule(this::expire, timeout, TimeUnit.NANOSECONDS);
            }
        }

        /**
         * The memory goes back when this thread ends, not when the answer is sent: a deadline may
         * answer while the handler still holds the request.
         */
        private void serveThenRelease(long deadlineNanos) {
            try {
                serve(deadlineNanos);
            } finally {
                memory.close();
            }
        }

        private void serve(long deadlineNanos) {
            Response response = null;
            Message result = null;
            try {
                BoundMethod method = dispatcher.resolve(request.getService(), request.getMethod());
                Message decoded = dispatcher.decode(method, request.getPayload(), memory);
                CallContext context = new CallContext("ttrpc", connection.describe(), method.fullName(),
                        metadata(request.getMetadataList()), deadlineNanos, memory);
                result = dispatcher.invoke(context, method, decoded);
            } catch (RpcException e) {
                response = Response.newBuilder().setStatus(WireStatus.of(e)).build();
            } catch (MemoryBudgetExceededException e) {
                response = Response.newBuilder().setStatus(WireStatus.of(e.toRpcException())).build();
            } catch (InterruptedException e) {
                response = error(closed.get() ? Code.CANCELLED : Code.DEADLINE_EXCEEDED,
                        request.getService() + "/" + request.getMethod() + " was interrupted");
            } catch (RuntimeException | Error e) {
                // The dispatcher answers a failing handler itself; this is for what fails around it
                // (a gate, the encoding of the result). Every call gets an answer: a peer such as
                // kata's shim waits for it without a deadline.
                LOG.log(ERROR, "connection " + id + ": " + request.getService() + "/" + request.getMethod()
                        + " failed", e);
                response = error(Code.INTERNAL, request.getService() + "/" + request.getMethod() + " failed: " + e);
            }
            if (result != null) {
                Message payload = result;
                answer(() -> {
                    try {
                        replyPayload(streamId, payload);
                    } catch (RuntimeException e) {
                        // Encoding failed before anything was written (the frame is built first):
                        // the call still gets an answer.
                        LOG.log(ERROR, "connection " + id + ": encoding the answer of " + request.getService()
                                + "/" + request.getMethod() + " failed", e);
                        reply(streamId, error(Code.INTERNAL, request.getService() + "/" + request.getMethod()
                                + " failed: " + e));
                    }
                });
                return;
            }
            answer(response);
        }

        private void expire() {
            // Interrupt only when the deadline answered: a handler thread that already answered may
            // be writing its response, and an interrupt would close the whole channel under it.
            if (answer(error(Code.DEADLINE_EXCEEDED, request.getService() + "/" + request.getMethod()
                    + " exceeded its deadline of " + request.getTimeoutNano() + " ns"))) {
                Thread running = thread;
                if (running != null) {
                    running.interrupt();
                }
            }
        }

        /** Sends the response unless one was sent already; returns whether this one was. */
        private boolean answer(Response response) {
            return answer(() -> reply(streamId, response));
        }

        /** Sends an answer unless one was sent already; returns whether this one was. */
        private boolean answer(Answer send) {
            if (!answered.compareAndSet(false, true)) {
                return false;
            }
            ScheduledFuture<?> timer = deadline;
            if (timer != null) {
                timer.cancel(false);
            }
            try {
                if (!closed.get()) {
                    send.send();
                }
            } catch (IOException e) {
                LOG.log(DEBUG, () -> "connection " + id + ": cannot send response: " + e);
                close();
            } finally {
                // Only now: a draining shutdown waits for this answer to be on the wire.
                calls.remove(streamId, this);
            }
            return true;
        }

        void cancel() {
            answered.set(true);
            ScheduledFuture<?> timer = deadline;
            if (timer != null) {
                timer.cancel(false);
            }
            calls.remove(streamId, this);
            Thread running = thread;
            if (running != null) {
                running.interrupt();
            }
        }
    }

    private static Map<String, List<String>> metadata(List<KeyValue> pairs) {
        Map<String, List<String>> map = new LinkedHashMap<>();
        for (KeyValue pair : pairs) {
            map.computeIfAbsent(pair.getKey(), k -> new ArrayList<>()).add(pair.getValue());
        }
        map.replaceAll((k, v) -> List.copyOf(v));
        return map;
    }

}
