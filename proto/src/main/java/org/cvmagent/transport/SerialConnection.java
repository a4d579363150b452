package org.cvmagent.transport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.ClosedChannelException;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One host session on a virtio-serial port. When the session ended because the host hung up, its
 * close hands the still-open port back to the listener instead of closing it: the guest kernel
 * discards whatever unread data a port holds when it is released (virtio_console's
 * port_fops_release), and a host that reconnected quickly may already have written its next
 * request, which would then be lost and its caller would wait for an answer forever. Any other
 * close (the server gives up on the stream, shutdown) closes the port, as the stream may be out of
 * step.
 */
final class SerialConnection implements Connection {

    private final NativeFd port;
    private final String description;
    private final Consumer<NativeFd> keepPort;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final InputStream input = new SessionInput();
    private final OutputStream output = new SessionOutput();
    /** A read found the host gone: nothing of this session is left unread in the port. */
    private volatile boolean hostLeft;

    SerialConnection(NativeFd port, String description, Consumer<NativeFd> keepPort) {
        this.port = Objects.requireNonNull(port, "port");
        this.description = Objects.requireNonNull(description, "description");
        this.keepPort = Objects.requireNonNull(keepPort, "keepPort");
    }

    @Override
    public InputStream input() {
        return input;
    }

    @Override
    public OutputStream output() {
        return output;
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (hostLeft) {
            keepPort.accept(port);
        } else {
            port.close();
        }
    }

    @Override
    public String toString() {
        return description;
    }

    private void ensureOpen() throws ClosedChannelException {
        // The port outlives a session whose host left: a late write of that session must not
        // reach the next host.
        if (closed.get()) {
            throw new ClosedChannelException();
        }
    }

    private final class SessionInput extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            Objects.checkFromIndexSize(offset, length, buffer.length);
            ensureOpen();
            int n = port.read(buffer, offset, length);
            if (n < 0) {
                hostLeft = true;
            }
            return n;
        }

        @Override
        public void close() {
            SerialConnection.this.close();
        }
    }

    private final class SessionOutput extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] buffer, int offset, int length) throws IOException {
            Objects.checkFromIndexSize(offset, length, buffer.length);
            ensureOpen();
            port.write(buffer, offset, length);
        }

        @Override
        public void close() {
            SerialConnection.this.close();
        }
    }
}
