package org.cvmagent.agent.sandbox;

import org.cvmagent.agent.process.ExitStatus;
import org.cvmagent.agent.process.Reaper;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * A process running in a container — its init or one started by ExecProcess — with its stdio and
 * its exit as the {@link Reaper} collects it (runc's children are re-parented to the agent).
 */
public final class ContainerProcess {

    private final String containerId;
    private final String execId;
    private final boolean init;
    private final long pid;
    private final CompletableFuture<ExitStatus> exit;
    private final ProcessIo io;
    private final Reaper reaper;
    private volatile boolean waited;

    ContainerProcess(String containerId, String execId, boolean init, long pid,
                     CompletableFuture<ExitStatus> exit, ProcessIo io, Reaper reaper) {
        this.containerId = containerId;
        this.execId = execId;
        this.init = init;
        this.pid = pid;
        this.exit = exit;
        this.io = io;
        this.reaper = reaper;
        exit.whenComplete((status, failure) -> io.processExited());
    }

    public String execId() {
        return execId;
    }

    public boolean isInit() {
        return init;
    }

    public long pid() {
        return pid;
    }

    public boolean exited() {
        return exit.isDone();
    }

    void markWaited() {
        waited = true;
    }

    /** Waited for, and its output read to the end: nothing more can be asked of it. */
    boolean done() {
        return waited && exit.isDone() && io.outputFinished();
    }

    ProcessIo io() {
        return io;
    }

    CompletableFuture<ExitStatus> exit() {
        return exit;
    }

    /** Blocks until the process exits; the code as kata reports it (128 + signal when killed). */
    public int awaitExitCode() throws IOException, InterruptedException {
        try {
            return exit.get().kataCode();
        } catch (ExecutionException e) {
            throw new IOException("the exit of " + this + " cannot be known: " + e.getCause().getMessage(),
                    e.getCause());
        }
    }

    /**
     * Sends a signal unless the process was already reaped (then its pid may be someone else's).
     *
     * @return whether the signal was sent
     */
    public boolean signal(int signal) throws IOException {
        return reaper.signal(pid, signal);
    }

    @Override
    public String toString() {
        return (init ? "init" : "exec " + execId) + " process " + pid + " of container " + containerId;
    }
}
