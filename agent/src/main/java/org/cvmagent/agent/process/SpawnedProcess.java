package org.cvmagent.agent.process;

import org.cvmagent.transport.NativeFd;
import org.cvmagent.transport.NativeFdInputStream;
import org.cvmagent.transport.NativeFdOutputStream;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;

/**
 * A running (or finished) child started by a {@link Spawner}.
 *
 * <p>The streams read and write pipes through blocking FFM calls, which pin a virtual thread to its
 * carrier: use them from platform threads. Closing a stream closes the agent's end of the pipe and
 * wakes a thread blocked on it.
 */
public final class SpawnedProcess {

    private final int pid;
    private final String command;
    private final CompletableFuture<ExitStatus> exit;
    private final Reaper reaper;
    private final NativeFd stdin;
    private final NativeFd stdout;
    private final NativeFd stderr;

    SpawnedProcess(int pid, String command, CompletableFuture<ExitStatus> exit, Reaper reaper,
                   NativeFd stdin, NativeFd stdout, NativeFd stderr) {
        this.pid = pid;
        this.command = command;
        this.exit = exit;
        this.reaper = reaper;
        this.stdin = stdin;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    public long pid() {
        return pid;
    }

    /** The child's stdin; close it to give the child EOF. */
    public OutputStream stdin() {
        return new NativeFdOutputStream(pipe(stdin, "stdin"));
    }

    public InputStream stdout() {
        return new NativeFdInputStream(pipe(stdout, "stdout"));
    }

    public InputStream stderr() {
        return new NativeFdInputStream(pipe(stderr, "stderr"));
    }

    /** The agent's end of the child's stdout pipe, for a poller that reads many fds at once. */
    public NativeFd stdoutFd() {
        return pipe(stdout, "stdout");
    }

    /** The agent's end of the child's stderr pipe, for a poller that reads many fds at once. */
    public NativeFd stderrFd() {
        return pipe(stderr, "stderr");
    }

    /** Completes when the reaper collected the child's exit. */
    public CompletableFuture<ExitStatus> exit() {
        return exit;
    }

    /**
     * Sends a signal with kill(2), unless the child's exit was already collected — then its pid may
     * belong to another process and nothing is sent.
     *
     * @return whether the signal was sent
     */
    public boolean signal(int signal) throws IOException {
        return reaper.signal(pid, signal);
    }

    /** Closes the agent's ends of all pipes. */
    public void closeStreams() {
        for (NativeFd pipe : new NativeFd[] {stdin, stdout, stderr}) {
            if (pipe != null) {
                pipe.close();
            }
        }
    }

    private NativeFd pipe(NativeFd pipe, String name) {
        if (pipe == null) {
            throw new IllegalStateException(name + " of " + this + " is not a pipe");
        }
        return pipe;
    }

    @Override
    public String toString() {
        return "process " + pid + " (" + command + ")";
    }
}
