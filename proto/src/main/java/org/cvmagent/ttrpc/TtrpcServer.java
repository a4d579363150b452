package org.cvmagent.ttrpc;

import org.cvmagent.rpc.Dispatcher;
import org.cvmagent.rpc.MemoryBudget;
import org.cvmagent.transport.Connection;
import org.cvmagent.transport.Listener;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static java.lang.System.Logger.Level.DEBUG;
import static java.lang.System.Logger.Level.INFO;
import static java.lang.System.Logger.Level.WARNING;

/**
 * A ttRPC server (containerd's protocol) over any {@link Listener}. Each connection has one
 * reading thread; each request runs on its own virtual thread, so a blocking call never holds up
 * the others on the same connection.
 */
public final class TtrpcServer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger("org.cvmagent.ttrpc");
    private static final long MAX_ACCEPT_BACKOFF_MILLIS = 2_000;

    private final Dispatcher dispatcher;
    private final ServerOptions options;
    private final MemoryBudget budget;
    private final ScheduledThreadPoolExecutor deadlines;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final Set<ServerConnection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean shuttingDown = new AtomicBoolean();
    private final AtomicLong connectionIds = new AtomicLong();

    /** A server whose calls share a budget of half this JVM's heap ({@link MemoryBudget#forThisHeap}). */
    public TtrpcServer(Dispatcher dispatcher, ServerOptions options) {
        this(dispatcher, options, MemoryBudget.forThisHeap());
    }

    /** @param budget bounds the heap that requests in flight hold, over all connections */
    public TtrpcServer(Dispatcher dispatcher, ServerOptions options, MemoryBudget budget) {
        this.dispatcher = Objects.requireNonNull(dispatcher, "dispatcher");
        this.options = Objects.requireNonNull(options, "options");
        this.budget = Objects.requireNonNull(budget, "budget");
        this.deadlines = new ScheduledThreadPoolExecutor(1, runnable ->
                Thread.ofPlatform().daemon().name("ttrpc-deadlines").unstarted(runnable));
        this.deadlines.setRemoveOnCancelPolicy(true);
    }

    /** Starts accepting on the listener; returns at once. The server owns the listener from now. */
    public void serve(Listener listener) {
        if (shuttingDown.get()) {
            throw new IllegalStateException("server is shutting down");
        }
        listeners.add(listener);
        // Accept may be a blocking native call (vsock), which must not pin a virtual thread's carrier.
        Thread.ofPlatform().daemon().name("ttrpc-accept " + listener.address())
                .start(() -> acceptLoop(listener));
        LOG.log(INFO, "ttrpc serving on " + listener.address());
    }

    private void acceptLoop(Listener listener) {
        long backoffMillis = 0;
        while (!listener.isClosed()) {
            Connection connection;
            try {
                connection = listener.accept();
                backoffMillis = 0;
            } catch (IOException e) {
                if (listener.isClosed()) {
                    return;
                }
                // A port not there yet (virtio-serial before udev), or out of fds: the agent is the
                // guest's only way in, so it keeps trying rather than going deaf.
                backoffMillis = Math.min(MAX_ACCEPT_BACKOFF_MILLIS, Math.max(10, backoffMillis * 2));
                LOG.log(WARNING, "accept on " + listener.address() + " failed, retrying in "
                        + backoffMillis + " ms: " + e.getMessage());
                try {
                    Thread.sleep(backoffMillis);
                } catch (InterruptedException interrupted) {
                    return;
                }
                continue;
            }
            admit(connection);
        }
    }

    private void admit(Connection connection) {
        if (shuttingDown.get() || connections.size() >= options.maxConnections()) {
            LOG.log(WARNING, "refusing connection " + connection.describe()
                    + (shuttingDown.get() ? ": shutting down" : ": too many connections"));
            closeQuietly(connection);
            return;
        }
        ServerConnection served = new ServerConnection(connectionIds.incrementAndGet(), connection,
                dispatcher, options, budget, deadlines, shuttingDown::get, connections::remove);
        connections.add(served);
        Thread.ofPlatform().daemon().name("ttrpc-conn-" + served.id()).start(served::run);
    }

    /** The budget this server's calls are charged to. */
    public MemoryBudget memoryBudget() {
        return budget;
    }

    /** Connections currently open. */
    public int connectionCount() {
        return connections.size();
    }

    /** Calls currently running, over all connections. */
    public int callsInFlight() {
        return connections.stream().mapToInt(ServerConnection::callsInFlight).sum();
    }

    /**
     * Stops accepting, lets calls in flight finish for up to {@code grace}, then closes every
     * connection (interrupting calls still running). New requests meanwhile get UNAVAILABLE.
     */
    public void shutdown(Duration grace) throws InterruptedException {
        shuttingDown.set(true);
        listeners.forEach(TtrpcServer::closeQuietly);
        long end = System.nanoTime() + grace.toNanos();
        while (callsInFlight() > 0 && System.nanoTime() < end) {
            Thread.sleep(5);
        }
        if (callsInFlight() > 0) {
            LOG.log(WARNING, "shutdown grace over with " + callsInFlight() + " calls still running");
        }
        close();
    }

    /** Closes listeners and connections at once. */
    @Override
    public void close() {
        shuttingDown.set(true);
        listeners.forEach(TtrpcServer::closeQuietly);
        connections.forEach(ServerConnection::close);
        deadlines.shutdownNow();
        LOG.log(DEBUG, "ttrpc server closed");
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            LOG.log(DEBUG, "close failed: " + e);
        }
    }
}
