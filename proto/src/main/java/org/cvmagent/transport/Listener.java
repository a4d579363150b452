package org.cvmagent.transport;

import java.io.Closeable;
import java.io.IOException;

/**
 * A bound, listening endpoint that hands out one {@link Connection} per accepted peer.
 */
public interface Listener extends Closeable {

    /**
     * Blocks until a peer connects. After {@link #close()} (also when called concurrently) it throws
     * {@link java.nio.channels.ClosedChannelException} or another IOException and
     * {@link #isClosed()} is true.
     */
    Connection accept() throws IOException;

    /** The address this listener serves, in kata form (e.g. {@code vsock://-1:1024}). */
    String address();

    boolean isClosed();

    /** Stops accepting and releases the endpoint (a unix socket file is removed). Idempotent. */
    @Override
    void close() throws IOException;
}
