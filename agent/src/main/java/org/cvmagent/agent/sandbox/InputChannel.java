package org.cvmagent.agent.sandbox;

import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The agent's writing end of a process's stdin (a pipe or a pty master). Writes block while the
 * process does not read, and a blocking native write would pin the virtual thread of the
 * {@code WriteStdin} handler to its carrier; so every write runs on one platform thread owned by
 * this channel, and the handler only parks on the result. Writes keep their order.
 */
final class InputChannel {

    private final OutputStream sink;
    private final ExecutorService writer;
    private boolean closed;

    InputChannel(OutputStream sink, String name) {
        this.sink = sink;
        this.writer = Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().name(name).factory());
    }

    /** Writes all of {@code data}; returns once the process's stdin took it. */
    void write(byte[] data) throws IOException, InterruptedException {
        await(submit(() -> {
            sink.write(data);
            sink.flush();
        }));
    }

    /** Gives the process EOF on stdin (for a pipe; a terminal sees its end only when the process does). */
    void closeStdin() throws IOException, InterruptedException {
        Future<?> done;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            done = writer.submit(() -> {
                sink.close();
                return null;
            });
            writer.shutdown();
        }
        await(done);
    }

    /** Stops the writer thread; a write still blocked is woken by the caller closing the fd. */
    void shutdown() {
        synchronized (this) {
            closed = true;
            writer.shutdown();
        }
    }

    /** Waits for the writer thread to end after {@link #shutdown}. */
    void awaitTermination() throws InterruptedException {
        writer.close();
    }

    private interface Write {
        void run() throws IOException;
    }

    private synchronized Future<?> submit(Write write) throws IOException {
        if (closed) {
            throw new IOException("stdin is closed");
        }
        return writer.submit(() -> {
            write.run();
            return null;
        });
    }

    private static void await(Future<?> done) throws IOException, InterruptedException {
        try {
            done.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException("writing stdin failed", e.getCause());
        }
    }
}
