package org.cvmagent.agent.sandbox;

import java.io.IOException;

/** The stdio of one container process as the stream RPCs see it: pipes or a terminal. */
sealed interface ProcessIo permits PipeIo, TerminalIo {

    void writeStdin(byte[] data) throws IOException, InterruptedException;

    void closeStdin() throws IOException, InterruptedException;

    /** The process's stdout as ReadStdout reads it. */
    OutputPump stdout();

    /** The process's stderr as ReadStderr reads it (a terminal's output is both). */
    OutputPump stderr();

    /** Sets the terminal size; {@link NoTerminalException} for pipes. */
    void resize(int rows, int columns) throws IOException;

    /** Whether every output stream's end was answered to its reader. */
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
