package org.cvmagent.agent.sandbox;

import org.cvmagent.agent.process.SpawnedProcess;

import java.io.IOException;

/**
 * Pipes as stdio: the agent's ends of the three pipes runc's child inherited (see
 * {@code Runc#create}); output is pumped, input written through an {@link InputChannel}.
 */
final class PipeIo implements ProcessIo {

    private final SpawnedProcess pipes;
    private final InputChannel stdin;
    private final OutputPump stdout;
    private final OutputPump stderr;
    private boolean closed;

    PipeIo(SpawnedProcess pipes, String name) {
        this.pipes = pipes;
        this.stdin = new InputChannel(pipes.stdin(), name + "-stdin");
        this.stdout = new OutputPump(pipes.stdout(), name + "-stdout").start();
        this.stderr = new OutputPump(pipes.stderr(), name + "-stderr").start();
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
