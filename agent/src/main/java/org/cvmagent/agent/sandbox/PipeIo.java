package org.cvmagent.agent.sandbox;

import org.cvmagent.agent.process.SpawnedProcess;

import java.io.IOException;

/**
 * Pipes as stdio: the agent's ends of the three pipes runc's child inherited (see
 * {@code Runc#create}); output is read by the agent's {@link OutputPoller}, input written through
 * an {@link InputChannel}.
 */
final class PipeIo implements ProcessIo {

    private final SpawnedProcess pipes;
    private final InputChannel stdin;
    private final OutputPump stdout;
    private final OutputPump stderr;
    private boolean closed;

    private PipeIo(SpawnedProcess pipes, InputChannel stdin, OutputPump stdout, OutputPump stderr) {
        this.pipes = pipes;
        this.stdin = stdin;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /** Starts reading the process's stdout and stderr; on failure the pipes are closed. */
    static PipeIo open(SpawnedProcess pipes, String name, OutputPoller poller) throws IOException {
        OutputPump stdout = null;
        try {
            stdout = poller.open(pipes.stdoutFd(), name + "-stdout");
            OutputPump stderr = poller.open(pipes.stderrFd(), name + "-stderr");
            return new PipeIo(pipes, new InputChannel(pipes.stdin(), name + "-stdin"), stdout, stderr);
        } catch (IOException | RuntimeException e) {
            pipes.closeStreams();
            if (stdout != null) {
                closeAfterFailure(stdout, e);
            }
            throw e;
        }
    }

    /** Releases a pump of a half-opened stdio; an interrupt stays set for the caller. */
    private static void closeAfterFailure(OutputPump pump, Exception cause) {
        try {
            pump.close();
        } catch (InterruptedException interrupted) {
            // The poller releases the fd on its own once it sees the close; only the wait was cut.
            Thread.currentThread().interrupt();
            cause.addSuppressed(interrupted);
        }
    }

    @Override
    public void writeStdin(byte[] data) throws IOException, InterruptedException {
        stdin.write(data);
    }

    @Override
    public void closeStdin() throws IOException, InterruptedException {
        stdin.closeStdin();
    }

    @Override
    public OutputPump stdout() {
        return stdout;
    }

    @Override
    public OutputPump stderr() {
        return stderr;
    }

    @Override
    public void resize(int rows, int columns) throws IOException {
        throw new NoTerminalException("the process has no terminal (it was started with terminal=false)");
    }

    @Override
    public boolean outputFinished() {
        return stdout.finished() && stderr.finished();
    }

    @Override
    public void processExited() {
        stdout.processExited();
        stderr.processExited();
    }

    @Override
    public void close() throws InterruptedException {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        stdin.shutdown();
        pipes.closeStreams();
        stdout.close();
        stderr.close();
        stdin.awaitTermination();
    }
}
