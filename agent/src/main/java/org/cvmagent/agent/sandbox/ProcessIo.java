package org.cvmagent.agent.sandbox;

import com.google.protobuf.ByteString;

import java.io.IOException;

/** The stdio of one container process as the stream RPCs see it: pipes or a terminal. */
sealed interface ProcessIo permits PipeIo, TerminalIo {

    void writeStdin(byte[] data) throws IOException, InterruptedException;

    void closeStdin() throws IOException, InterruptedException;

    /** Up to {@code max} bytes of stdout; empty at end of stream. */
    ByteString readStdout(int max) throws InterruptedException;

    /** Up to {@code max} bytes of stderr; empty at end of stream. */
    ByteString readStderr(int max) throws InterruptedException;

    /** Sets the terminal size; {@link NoTerminalException} for pipes. */
    void resize(int rows, int columns) throws IOException;

    /** Whether every output stream reached its end and was read to it. */
    boolean outputFinished();

    /** The process exited: readers stop waiting once its buffered output is drained. */
    void processExited();

    /** Releases the fds and stops the threads; idempotent. */
    void close() throws InterruptedException;

    /** A resize of a process that has no terminal. */
    final class NoTerminalException extends IOException {
        NoTerminalException(String message) {
            super(message);
        }
    }
}
