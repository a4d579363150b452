package org.cvmagent.agent.sandbox;

import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OutputPumpTest {

    @Test
    void readsReturnAtMostTheAskedBytesInOrderThenEmptyAtEof() throws Exception {
        byte[] data = new byte[3 * OutputPump.CAPACITY / 2];
        new Random(1).nextBytes(data);
        PipedOutputStream writer = new PipedOutputStream();
        OutputPump pump = new OutputPump(new PipedInputStream(writer, 1 << 16), "test-pump").start();
        CompletableFuture<Void> written = CompletableFuture.runAsync(() -> {
            try (writer) {
                writer.write(data);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        while (true) {
            byte[] chunk = pump.read(10_000).toByteArray();
            assertTrue(chunk.length <= 10_000);
            if (chunk.length == 0) {
                break;
            }
            got.write(chunk);
        }
        written.get(10, TimeUnit.SECONDS);
        assertArrayEquals(data, got.toByteArray());
        assertTrue(pump.finished());
        // kata before Feb 2026 stops only on an error: every read after the empty one gets it
        assertThrows(OutputEndedException.class, () -> pump.read(10));
        assertThrows(OutputEndedException.class, () -> pump.read(10));
        pump.close();
    }

    @Test
    void deniedReadsAnswerEmptyWhileThePumpDrainsEverythingInBoundedMemory() throws Exception {
        long total = 256L * 1024 * 1024;
        CountingSource source = new CountingSource(total);
        OutputPump pump = new OutputPump(source, "test-pump").start();
        int reads = 0;
        while (true) {
            ByteString answer;
            try {
                answer = pump.readRedacted();
            } catch (OutputEndedException e) {
                break;
            }
            assertTrue(answer.isEmpty(), "a denied read returns no data");
            reads++;
        }
        assertEquals(total, source.served(), "the writer was never blocked: all of it was read");
        assertTrue(pump.discarded() >= total - OutputPump.CAPACITY - 64 * 1024,
                "beyond the buffer the output was discarded: " + pump.discarded());
        assertTrue(reads >= 2 && pump.finished(), "empty answers, the last of them the end: " + reads);
        pump.close();
    }

    @Test
    void deniedReadsWaitForNewOutputInsteadOfSpinning() throws Exception {
        PipedOutputStream writer = new PipedOutputStream();
        OutputPump pump = new OutputPump(new PipedInputStream(writer), "test-pump").start();
        writer.write("hidden".getBytes());
        writer.flush();
        assertEquals(0, pump.readRedacted().size(), "output arrived: answered at once");
        CompletableFuture<ByteString> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return pump.readRedacted();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(200);
        assertFalse(waiting.isDone(), "nothing new: a denied read waits as an allowed one would");
        writer.write("more".getBytes());
        writer.flush();
        assertEquals(0, waiting.get(10, TimeUnit.SECONDS).size());
        assertFalse(pump.finished());
        writer.close();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!pump.finished() && System.nanoTime() < until) {
            Thread.sleep(10); // a piped stream's reader notices the close between polls
        }
        assertTrue(pump.finished(), "a denied reader that stopped early is owed nothing once the stream ended");
        pump.close();
    }

    @Test
    void aReadAllowedAfterDenialsGetsTheBufferedOutputAndThenTheEnd() throws Exception {
        PipedOutputStream writer = new PipedOutputStream();
        OutputPump pump = new OutputPump(new PipedInputStream(writer), "test-pump").start();
        writer.write("kept for a reader the policy allows".getBytes());
        writer.close();
        assertEquals(0, pump.readRedacted().size());
        // as after SetPolicy(allow-all): the buffered output is there, then both ends as usual
        assertEquals("kept for a reader the policy allows", pump.read(1000).toStringUtf8());
        assertEquals(0, pump.read(1000).size());
        assertThrows(OutputEndedException.class, () -> pump.read(1000));
        pump.close();
    }

    @Test
    void afterTheProcessExitedAnOpenStreamReadsAsEofOnceDrained() throws Exception {
        PipedOutputStream writer = new PipedOutputStream();
        OutputPump pump = new OutputPump(new PipedInputStream(writer), "test-pump").start();
        writer.write("late".getBytes());
        writer.flush();
        assertEquals("late", pump.read(100).toStringUtf8());
        pump.processExited();
        long start = System.nanoTime();
        assertEquals(0, pump.read(100).size());
        long waited = System.nanoTime() - start;
        assertTrue(waited >= OutputPump.DRAIN_AFTER_EXIT.toNanos() / 2, "did not wait for late output");
        writer.close(); // a piped stream's reader only notices its own close between polls
        pump.close();
    }

    @Test
    void closeEndsAPumpBlockedOnAFullBuffer() throws Exception {
        InputStream endless = new InputStream() {
            private volatile boolean closed;

            @Override
            public int read() {
                return 0;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (closed) {
                    throw new IOException("closed");
                }
                return len;
            }

            @Override
            public void close() {
                closed = true;
            }
        };
        OutputPump pump = new OutputPump(endless, "test-pump").start();
        assertEquals(100, pump.read(100).size());
        Thread.sleep(100); // the pump fills its buffer and waits for room
        assertFalse(pump.finished());
        pump.close();
    }

    /** {@code total} bytes, served as fast as asked for, counting what was taken. */
    private static final class CountingSource extends InputStream {
        private final long total;
        private final java.util.concurrent.atomic.AtomicLong served = new java.util.concurrent.atomic.AtomicLong();

        CountingSource(long total) {
            this.total = total;
        }

        long served() {
            return served.get();
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            long left = total - served.get();
            if (left <= 0) {
                return -1;
            }
            int n = (int) Math.min(len, left);
            java.util.Arrays.fill(b, off, off + n, (byte) 'x');
            served.addAndGet(n);
            return n;
        }
    }
}
