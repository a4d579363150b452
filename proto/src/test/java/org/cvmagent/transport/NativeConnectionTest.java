package org.cvmagent.transport;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

import static org.cvmagent.transport.ConnectionChecks.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The FFM connection code (used by vsock and serial) over AF_UNIX socket pairs. */
@SuppressWarnings("try") // some resources are only held so that they get closed
class NativeConnectionTest {

    private final Libc libc = Libc.load();
    private final SocketPairs pairs = new SocketPairs(libc);

    @Test
    void roundTripsBytesBothWaysConcurrently() throws Throwable {
        Connection[] pair = pairs.open();
        try (Connection a = pair[0]; Connection b = pair[1]) {
            // Far beyond the socket buffers: writes must wait in poll while the readers drain.
            ConnectionChecks.exchange(a, b, 8 * 1024 * 1024);
            ConnectionChecks.assertEndOfStreamAfterPeerCloses(a, b);
        }
    }

    @Test
    void closeUnblocksAReader() throws Throwable {
        Connection[] pair = pairs.open();
        try (Connection b = pair[1]) {
            ConnectionChecks.assertCloseUnblocksRead(pair[0]);
            assertEquals(-1, b.input().read(), "close shuts the socket down, so the peer sees end of stream");
            assertThrows(ClosedChannelException.class, () -> pair[0].input().read());
            assertThrows(ClosedChannelException.class, () -> pair[0].output().write(1));
        }
    }

    @Test
    void closeUnblocksAWriterWaitingForBufferSpace() throws Throwable {
        Connection[] pair = pairs.open();
        try (Connection b = pair[1]; TestThreads threads = new TestThreads(1)) {
            Future<?> writer = threads.submit(() -> {
                pair[0].output().write(new byte[32 * 1024 * 1024]);
                return null;
            });
            ConnectionChecks.assertStillBlocked(writer);
            pair[0].close();
            IOException e = assertThrows(IOException.class, () -> await(writer));
            assertInstanceOf(ClosedChannelException.class, e);
        }
    }

    @Test
    void writingToAClosedPeerFailsWithTheErrnoText() throws Throwable {
        Connection[] pair = pairs.open();
        try (Connection a = pair[0]) {
            pair[1].close();
            IOException e = assertThrows(IOException.class, () -> {
                for (int i = 0; i < 100; i++) {
                    a.output().write(new byte[64 * 1024]);
                }
            });
            assertTrue(e.getMessage().startsWith("write to pair:a: "), e.getMessage());
            assertTrue(e.getMessage().contains("Broken pipe (errno 32)")
                    || e.getMessage().contains("Connection reset by peer (errno 104)"), e.getMessage());
        }
    }

    @Test
    void manyConcurrentClosesAndReadsNeverTouchAReusedDescriptor() throws Throwable {
        // Readers race with close; any use of a released fd number would surface as EBADF or as
        // reads from someone else's descriptor, both of which fail the assertions below.
        try (TestThreads threads = new TestThreads(8)) {
            for (int round = 0; round < 200; round++) {
                Connection[] pair = pairs.open();
                CountDownLatch started = new CountDownLatch(1);
                Future<Integer> reader = threads.submit(() -> {
                    started.countDown();
                    try {
                        return pair[0].input().read();
                    } catch (ClosedChannelException closed) {
                        return -2;
                    }
                });
                assertTrue(started.await(5, TimeUnit.SECONDS));
                pair[0].close();
                int result = await(reader);
                assertTrue(result == -2 || result == -1, "read after close gave " + result);
                pair[1].close();
            }
        }
    }
}
