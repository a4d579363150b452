package org.cvmagent.transport;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Platform threads for blocking calls in tests. Unlike closing an ExecutorService, closing this
 * never waits forever: a thread still stuck in a native call afterwards is a missed wake-up, which
 * must fail the test rather than hang the build.
 */
final class TestThreads implements AutoCloseable {

    private final ExecutorService executor;

    TestThreads(int count) {
        this.executor = Executors.newFixedThreadPool(count, task -> {
            Thread thread = new Thread(task, "transport-test");
            thread.setDaemon(true);
            return thread;
        });
    }

    <T> Future<T> submit(Callable<T> task) {
        return executor.submit(task);
    }

    @Override
    public void close() throws InterruptedException {
        executor.shutdownNow();
        if (!executor.awaitTermination(ConnectionChecks.TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            throw new AssertionError("a test thread is still blocked after the test ended");
        }
    }
}
