package org.cvmagent.agent.process;

import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/** Reads a child's output pipe; closing the stream closes the agent's end of the pipe. */
final class PipeInputStream extends InputStream {

    private final PipeFd pipe;

    PipeInputStream(PipeFd pipe) {
        this.pipe = pipe;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = pipe.read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, buffer.length);
        return pipe.read(buffer, offset, length);
    }

    @Override
    public void close() {
        pipe.close();
    }
}
