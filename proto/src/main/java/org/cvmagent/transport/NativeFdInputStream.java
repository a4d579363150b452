package org.cvmagent.transport;

import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/** Reads a {@link NativeFd}; closing the stream closes the fd, as a socket's stream does. */
public final class NativeFdInputStream extends InputStream {

    private final NativeFd fd;

    public NativeFdInputStream(NativeFd fd) {
        this.fd = fd;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = fd.read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, buffer.length);
        return fd.read(buffer, offset, length);
    }

    @Override
    public void close() {
        fd.close();
    }
}
