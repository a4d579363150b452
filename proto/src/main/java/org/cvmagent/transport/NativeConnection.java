package org.cvmagent.transport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;

/**
 * A {@link Connection} over a {@link NativeFd}: an AF_VSOCK socket or a virtio-serial port.
 *
 * <p>Blocking reads are FFM downcalls that pin a virtual thread's carrier, so read from a platform
 * thread; writes are short and may come from any thread. {@link #close()} wakes a blocked reader,
 * which then gets an {@link java.nio.channels.AsynchronousCloseException}.
 */
final class NativeConnection implements Connection {

    private final NativeFd fd;
    private final InputStream input;
    private final OutputStream output;

    NativeConnection(NativeFd fd) {
        this.fd = Objects.requireNonNull(fd, "fd");
        this.input = new NativeFdInputStream(fd);
        this.output = new NativeFdOutputStream(fd);
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
        return fd.description();
    }

    @Override
    public void close() throws IOException {
        fd.close();
    }

    @Override
    public String toString() {
        return describe();
    }
}
