package org.cvmagent.transport;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Objects;

/** Writes a {@link NativeFd}; closing the stream closes the fd, as a socket's stream does. */
public final class NativeFdOutputStream extends OutputStream {

    private final NativeFd fd;

    public NativeFdOutputStream(NativeFd fd) {
        this.fd = fd;
    }

    @Override
    public void write(int b) throws IOException {
        fd.write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] buffer, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, buffer.length);
        fd.write(buffer, offset, length);
    }

    @Override
    public void close() {
        fd.close();
    }
}
