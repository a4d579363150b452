package org.cvmagent.transport;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * One bidirectional byte stream to a peer, whatever carries it (vsock, unix socket, TCP,
 * virtio-serial port). Reading and writing may happen on different threads at the same time;
 * callers serialize their own writes.
 */
public interface Connection extends Closeable {

    /** Blocking input; {@code read} returns -1 when the peer hung up. */
    InputStream input() throws IOException;

    /** Blocking output; not thread-safe, callers serialize writes. */
    OutputStream output() throws IOException;

    /** Human-readable peer description for logs, e.g. {@code unix:///run/a.sock#3}. */
    String describe();

    /** Closes both directions; unblocks a reader blocked in {@code input().read}. Idempotent. */
    @Override
    void close() throws IOException;
}
