package org.cvmagent.agent.sandbox;

import org.cvmagent.agent.tty.PtyMaster;

import java.io.FilterOutputStream;
import java.io.IOException;

/**
 * A terminal as stdio: the pty master runc handed over on the console socket. Output (stdout and
 * stderr share the terminal, so both reads take from it, as in kata) is read by the agent's
 * {@link OutputPoller}; input is written to the master. Closing stdin only stops further writes:
 * the master is also the output, and the process sees its terminal's end when it exits.
 */
final class TerminalIo implements ProcessIo {

    private final PtyMaster master;
    private final InputChannel input;
    private final OutputPump output;
    private boolean closed;

    private TerminalIo(PtyMaster master, InputChannel input, OutputPump output) {
        this.master = master;
        this.input = input;
        this.output = output;
    }

    /** Starts reading the terminal's output; on failure the master is closed. */
    static TerminalIo open(PtyMaster master, String name, OutputPoller poller) throws IOException {
        OutputPump output;
        try {
            output = poller.open(master.fd(), name + "-tty-out");
        } catch (IOException | RuntimeException e) {
            master.close();
            throw e;
        }
        InputChannel input = new InputChannel(new FilterOutputStream(master.output()) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() {
                // The master stays open for output; see the class comment.
            }
        }, name + "-tty-in");
        return new TerminalIo(master, input, output);
    }

    @Override
    public void writeStdin(byte[] data) throws IOException, InterruptedException {
        input.write(data);
    }

    @Override
    public void closeStdin() throws IOException, InterruptedException {
        input.closeStdin();
    }

    @Override
    public OutputPump stdout() {
        return output;
    }

    @Override
    public OutputPump stderr() {
        return output;
    }

    @Override
    public void resize(int rows, int columns) throws IOException {
        master.resize(rows, columns);
    }

    @Override
    public boolean outputFinished() {
        return output.finished();
    }

    @Override
    public void processExited() {
        output.processExited();
    }

    @Override
    public void close() throws InterruptedException {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        input.shutdown();
        master.close();
        output.close();
        input.awaitTermination();
    }
}
