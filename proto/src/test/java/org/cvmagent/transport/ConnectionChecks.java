package org.cvmagent.transport;

import java.io.IOException;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Checks every transport must pass, run on platform threads as the ttRPC server will. */
final class ConnectionChecks {

    static final long TIMEOUT_SECONDS = 10;

    private ConnectionChecks() {
    }

    static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /**
     * Sends {@code size} bytes each way at the same time. With sizes beyond the kernel buffers, both
     * writers block until the readers drain, so this fails unless reading and writing truly overlap.
     */
    static void exchange(Connection a, Connection b, int size) throws Exception {
        byte[] aToB = randomBytes(size, 1);
        byte[] bToA = randomBytes(size, 2);
        try (TestThreads threads = new TestThreads(4)) {
            Future<?> writeA = threads.submit(() -> write(a, aToB));
            Future<?> writeB = threads.submit(() -> write(b, bToA));
            Future<byte[]> readB = threads.submit(() -> b.input().readNBytes(size));
            Future<byte[]> readA = threads.submit(() -> a.input().readNBytes(size));
            assertArrayEquals(aToB, await(readB), "bytes from " + a.describe());
            assertArrayEquals(bToA, await(readA), "bytes from " + b.describe());
            await(writeA);
            await(writeB);
        }
    }

    private static Void write(Connection connection, byte[] data) throws IOException {
        connection.output().write(data);
        connection.output().flush();
        return null;
    }

    /** A read blocked on {@code connection} must end once the connection is closed. */
    static void assertCloseUnblocksRead(Connection connection) throws Exception {
        try (TestThreads threads = new TestThreads(1)) {
            Future<Integer> read = threads.submit(() -> connection.input().read());
            assertStillBlocked(read);
            connection.close();
            try {
                int result = read.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                assertEquals(-1, result, "a read after close may only report end of stream");
            } catch (ExecutionException e) {
                assertInstanceOf(IOException.class, e.getCause());
            } catch (TimeoutException e) {
                fail("closing " + connection.describe() + " did not unblock its reader");
            }
        }
    }

    /** An accept blocked on {@code listener} must end with an IOException once it is closed. */
    static void assertCloseUnblocksAccept(Listener listener) throws Exception {
        try (TestThreads threads = new TestThreads(1)) {
            Future<Connection> accept = threads.submit(listener::accept);
            assertStillBlocked(accept);
            listener.close();
            ExecutionException failure = assertThrows(ExecutionException.class,
                    () -> accept.get(TIMEOUT_SECONDS, TimeUnit.SECONDS),
                    "closing " + listener.address() + " did not unblock accept");
            assertInstanceOf(IOException.class, failure.getCause());
            assertTrue(listener.isClosed());
            assertThrows(IOException.class, listener::accept, "accept after close");
        }
    }

    static void assertStillBlocked(Future<?> future) throws InterruptedException {
        Thread.sleep(300);
        assertFalse(future.isDone(), "expected the call to block, but it ended");
    }

    static <T> T await(Future<T> future) throws Exception {
        try {
            return future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    /** Writes on {@code from} arrive on {@code to}, and end of stream after {@code from} closes. */
    static void assertEndOfStreamAfterPeerCloses(Connection from, Connection to) throws Exception {
        from.output().write(new byte[] {42});
        from.output().flush();
        from.close();
        try (TestThreads threads = new TestThreads(1)) {
            assertEquals(42, await(threads.submit(() -> to.input().read())));
            assertEquals(-1, await(threads.submit(() -> to.input().read())));
        }
    }
}
