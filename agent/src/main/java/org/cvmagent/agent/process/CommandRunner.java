package org.cvmagent.agent.process;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs short-lived commands (runc invocations, hooks) to completion: stdin from /dev/null, stdout
 * and stderr captured up to {@link #MAX_OUTPUT} bytes each (the rest is read and discarded, so the
 * command never blocks on a full pipe), and a deadline after which the command is killed.
 */
public final class CommandRunner {

    public static final int MAX_OUTPUT = 1024 * 1024;
    /**
     * How long output is still read after the command exited: a daemonised grandchild may hold the
     * pipes open forever (runc's container init, for one), and its output is not the command's.
     */
    private static final Duration OUTPUT_GRACE = Duration.ofSeconds(1);
    private static final int SIGKILL = 9;

    private final Spawner spawner;

    public CommandRunner(Spawner spawner) {
        this.spawner = spawner;
    }

    /**
     * Runs {@code argv} with exactly {@code env} as its environment.
     *
     * @throws CommandTimeoutException when it ran longer than {@code timeout} (it was killed)
     * @throws IOException             when it could not be started
     */
    public CommandResult run(List<String> argv, List<String> env, Duration timeout) throws IOException {
        SpawnSpec spec = SpawnSpec.of(argv).withEnv(env);
        SpawnedProcess process = spawner.spawn(spec);
        OutputCollector out = new OutputCollector(process.stdout(), "stdout of " + process);
        OutputCollector err = new OutputCollector(process.stderr(), "stderr of " + process);
        try {
            ExitStatus status;
            try {
                status = process.exit().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                process.signal(SIGKILL);
                throw new CommandTimeoutException("command " + spec.commandLine() + " did not finish within "
                        + timeout + " and was killed");
            }
            out.finish(OUTPUT_GRACE);
            err.finish(OUTPUT_GRACE);
            return new CommandResult(argv, status, out.bytes(), err.bytes(), out.truncated(), err.truncated());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.signal(SIGKILL);
            throw new IOException("interrupted while running " + spec.commandLine() + "; it was killed", e);
        } catch (ExecutionException e) {
            throw new IOException("the exit of " + spec.commandLine() + " was not collected", e.getCause());
        } finally {
            process.closeStreams();
        }
    }

    /** Reads one output pipe on a platform thread (pipe reads pin virtual threads). */
    private static final class OutputCollector {

        private final InputStream in;
        private final String name;
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        private final Thread thread;
        private boolean truncated;
        private IOException failure;

        OutputCollector(InputStream in, String name) {
            this.in = in;
            this.name = name;
            this.thread = Thread.ofPlatform().name("read " + name).daemon().start(this::drain);
        }

        private void drain() {
            byte[] buffer = new byte[64 * 1024];
            try {
                int n;
                while ((n = in.read(buffer, 0, buffer.length)) >= 0) {
                    synchronized (this) {
                        int room = MAX_OUTPUT - kept.size();
                        kept.write(buffer, 0, Math.min(room, n));
                        truncated |= n > room;
                    }
                }
            } catch (IOException e) {
                synchronized (this) {
                    failure = e;
                }
            }
        }

        /** Waits for EOF up to {@code grace}, then stops reading by closing the pipe. */
        void finish(Duration grace) throws InterruptedException, IOException {
            if (!thread.join(grace)) {
                // A grandchild still holds the pipe: what came so far is the command's output.
                in.close();
                thread.join();
                return;
            }
            synchronized (this) {
                if (failure != null) {
                    throw new IOException("reading " + name, failure);
                }
            }
        }

        synchronized byte[] bytes() {
            return kept.toByteArray();
        }

        synchronized boolean truncated() {
            return truncated;
        }
    }
}
