package org.cvmagent.agent.sandbox;

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
        assertEquals(0, pump.read(10).size());
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
}
