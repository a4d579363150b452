package org.cvmagent.ttrpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import io.grpc.Status.Code;
import org.cvmagent.proto.ttrpc.KeyValue;
import org.cvmagent.proto.ttrpc.Request;
import org.cvmagent.proto.ttrpc.Response;
import org.cvmagent.rpc.AliasingParse;
import org.cvmagent.rpc.RpcException;
import org.cvmagent.transport.Connection;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A ttRPC client on one connection. Thread-safe: many threads may call at once, their requests
 * are multiplexed by stream id and answered as responses arrive, in any order.
 */
public final class TtrpcClient implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("org.cvmagent.ttrpc");

    private final Connection connection;
    private final int maxPayload;
    private final FrameWriter writer;
    private final Map<Integer, CompletableFuture<Response>> pending = new ConcurrentHashMap<>();
    private final ReentrantLock sendLock = new ReentrantLock();
    private int nextStreamId = 1;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile IOException failure;

    public TtrpcClient(Connection connection) throws IOException {
        this(connection, Frame.DEFAULT_MAX_PAYLOAD);
    }

    public TtrpcClient(Connection connection, int maxPayload) throws IOException {
        this.connection = connection;
        this.maxPayload = maxPayload;
        this.writer = new FrameWriter(connection.output());
        FrameReader reader = new FrameReader(connection.input(), maxPayload);
        Thread.ofPlatform().daemon().name("ttrpc-client " + connection.describe())
                .start(() -> readLoop(reader));
    }

    /**
     * Calls {@code service/method} and parses the response.
     *
     * @param timeout  sent as {@code timeout_nano} and waited for; {@code null} for none
     * @param metadata ttRPC metadata pairs sent with the request
     * @throws RpcException the server answered a non-OK status, or the deadline passed
     * @throws IOException  the connection failed
     */
    public <R extends Message> R call(String service, String method, Message request, Parser<R> responseParser,
                                      Duration timeout, Map<String, String> metadata)
            throws RpcException, IOException, InterruptedException {
        ByteString payload = callRaw(service, method, request.toByteString(), timeout, metadata);
        try {
            return AliasingParse.parse(responseParser, payload);
        } catch (InvalidProtocolBufferException e) {
            throw new RpcException(Code.INTERNAL, "cannot decode the response of " + service + "/" + method
                    + ": " + e.getMessage(), e);
        }
    }

    public <R extends Message> R call(String service, String method, Message request, Parser<R> responseParser)
            throws RpcException, IOException, InterruptedException {
        return call(service, method, request, responseParser, null, Map.of());
    }

    /** Like {@link #call} with the payloads as bytes. */
    public ByteString callRaw(String service, String method, ByteString payload, Duration timeout,
                              Map<String, String> metadata)
            throws RpcException, IOException, InterruptedException {
        Request.Builder request = Request.newBuilder().setService(service).setMethod(method).setPayload(payload);
        if (timeout != null) {
            request.setTimeoutNano(Math.max(1, timeout.toNanos()));
        }
        metadata.forEach((k, v) -> request.addMetadata(KeyValue.newBuilder().setKey(k).setValue(v)));
        byte[] bytes = request.build().toByteArray();
        if (bytes.length > maxPayload) {
            throw new RpcException(Code.RESOURCE_EXHAUSTED, "request of " + bytes.length
                    + " bytes is over the limit of " + maxPayload);
        }
        CompletableFuture<Response> answer = new CompletableFuture<>();
        int streamId = send(bytes, answer);
        try {
            Response response = timeout == null ? answer.get() : answer.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            if (response.hasStatus() && response.getStatus().getCode() != 0) {
                throw WireStatus.toException(response.getStatus());
            }
            return response.getPayload();
        } catch (TimeoutException e) {
            throw new RpcException(Code.DEADLINE_EXCEEDED, service + "/" + method + " timed out after " + timeout);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw new IOException(service + "/" + method + ": " + io.getMessage(), io);
            }
            throw new IOException(service + "/" + method + " failed", e.getCause());
        } finally {
            pending.remove(streamId);
        }
    }

    /** Allocates the stream id and writes the request under one lock, so ids reach the wire in order. */
    private int send(byte[] request, CompletableFuture<Response> answer) throws IOException {
        sendLock.lock();
        int streamId = nextStreamId;
        try {
            nextStreamId += 2;
            pending.put(streamId, answer);
            ensureOpen();
            writer.write(new Frame(streamId, Frame.TYPE_REQUEST, (byte) 0, request));
            return streamId;
        } catch (IOException | RuntimeException e) {
            pending.remove(streamId);
            throw e;
        } finally {
            sendLock.unlock();
        }
    }

    private void ensureOpen() throws IOException {
        IOException cause = failure;
        if (cause != null) {
            throw new IOException("ttrpc connection is closed: " + cause.getMessage(), cause);
        }
    }

    private void readLoop(FrameReader reader) {
        IOException cause = null;
        try {
            while (true) {
                Frame frame;
                try {
                    frame = reader.read();
                } catch (FrameTooLargeException e) {
                    fail(e.streamId(), new IOException(e.getMessage(), e));
                    continue;
                }
                if (frame == null) {
                    cause = new IOException("connection closed by peer " + connection.describe());
                    break;
                }
                if (frame.type() != Frame.TYPE_RESPONSE) {
                    LOG.log(System.Logger.Level.DEBUG, "ttrpc client: frame of type " + frame.type() + " dropped");
                    continue;
                }
                CompletableFuture<Response> answer = pending.get(frame.streamId());
                if (answer == null) {
                    continue; // the caller gave up (deadline) before the answer arrived
                }
                try {
                    answer.complete(AliasingParse.parse(Response.parser(), frame.payload()));
                } catch (InvalidProtocolBufferException e) {
                    answer.completeExceptionally(new IOException("malformed ttrpc response: " + e.getMessage(), e));
                }
            }
        } catch (IOException e) {
            cause = closed.get() ? new IOException("client closed") : e;
        } finally {
            failure = cause == null ? new IOException("client closed") : cause;
            IOException reason = failure;
            pending.values().forEach(f -> f.completeExceptionally(reason));
            closeConnection();
        }
    }

    private void fail(int streamId, IOException e) {
        CompletableFuture<Response> answer = pending.get(streamId);
        if (answer != null) {
            answer.completeExceptionally(e);
        }
    }

    private void closeConnection() {
        try {
            connection.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "closing " + connection.describe() + ": " + e);
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            closeConnection();
        }
    }
}
