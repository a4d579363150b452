package org.cvmagent.testing;

import org.cvmagent.transport.Connection;
import org.cvmagent.transport.Listener;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/** A {@link Listener} whose peers are created in memory by {@link #connect()}. */
public final class MemoryListener implements Listener {

    private static final Connection POISON = MemoryConnection.pair()[0];

    private final LinkedBlockingQueue<Connection> pending = new LinkedBlockingQueue<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    /** Returns the client end; the server end is handed to the next {@link #accept()}. */
    public Connection connect() throws IOException {
        if (closed.get()) {
            throw new IOException("listener closed");
        }
        MemoryConnection[] ends = MemoryConnection.pair();
        pending.add(ends[1]);
        return ends[0];
    }

    @Override
    public Connection accept() throws IOException {
        try {
            Connection next = pending.take();
            if (next == POISON) {
                throw new ClosedChannelException();
            }
            return next;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    @Override
    public String address() {
        return "memory://";
    }

    @Override
    public boolean isClosed() {
        return closed.get();
    }

    @Override
    public void close() throws IOException {
        if (closed.compareAndSet(false, true)) {
            // like a closed socket listener: peers not yet accepted are reset
            Connection next;
            while ((next = pending.poll()) != null) {
                next.close();
            }
            pending.add(POISON);
        }
    }
}
