package org.cvmagent.agent.process;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Objects;

/** Writes a child's input pipe; closing the stream closes the agent's end, so the child sees EOF. */
final class PipeOutputStream extends OutputStream {

    private final PipeFd pipe;

    PipeOutputStream(PipeFd pipe) {
        this.pipe = pipe;
    }

    @Override
    public void write(int b) throws IOException {
        pipe.write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] buffer, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, buffer.length);
        pipe.write(buffer, offset, length);
    }

    @Override
    public void close() {
        pipe.close();
    }
}
