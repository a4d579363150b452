package org.cvmagent.agent.sandbox;

import com.google.protobuf.ByteString;
import org.cvmagent.transport.NativeFdOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pump's reader-side semantics, fed by a real pipe through the {@link OutputPoller}. */
class OutputPumpTest {

    private static final TestFds FDS = new TestFds();
    private static OutputPoller poller;

    @BeforeAll
    static void startPoller() throws IOException {
        poller = OutputPoller.start("test-poller");
    }

    @AfterAll
    static void stopPoller() throws InterruptedException {
        poller.close();
    }

    /** A pump reading a new pipe, and the process's end of that pipe. */
    private record Piped(OutputPump pump, OutputStream writer) {
    }

    private static Piped piped() throws Throwable {
        TestFds.Pipe pipe = FDS.pipe("test-pump");
        return new Piped(poller.open(pipe.read(), "test-pump"), new NativeFdOutputStream(pipe.write()));
    }


    @Test
    void readsReturnAtMostTheAskedBytesInOrderThenEmptyAtEof() throws Throwable {
        byte[] data = new byte[3 * OutputPump.CAPACITY / 2];
        new Random(1).nextBytes(data);
        Piped piped = piped();
        OutputPump pump = piped.pump();
        OutputStream writer = piped.writer();
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
    void deniedReadsAnswerEmptyWhileThePumpDrainsEverythingInBoundedMemory() throws Throwable {
        long total = 64L * 1024 * 1024;
        Piped piped = piped();
        OutputPump pump = piped.pump();
        AtomicLong served = new AtomicLong();
        CompletableFuture<Void> written = CompletableFuture.runAsync(() -> {
            byte[] block = new byte[1 << 20];
            try (OutputStream writer = piped.writer()) {
                while (served.get() < total) {
                    writer.write(block);
                    served.addAndGet(block.length);
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
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
        written.get(30, TimeUnit.SECONDS);
        assertEquals(total, served.get(), "the writer was never blocked: all of it was read");
        assertTrue(pump.discarded() >= total - OutputPump.CAPACITY - OutputPoller.CHUNK,
                "beyond the buffer the output was discarded: " + pump.discarded());
        assertTrue(reads >= 2 && pump.finished(), "empty answers, the last of them the end: " + reads);
        pump.close();
    }

    @Test
    void deniedReadsWaitForNewOutputInsteadOfSpinning() throws Throwable {
        Piped piped = piped();
        OutputPump pump = piped.pump();
        OutputStream writer = piped.writer();
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
            Thread.sleep(10);
        }
        assertTrue(pump.finished(), "a denied reader that stopped early is owed nothing once the stream ended");
        pump.close();
    }

    @Test
    void aReadAllowedAfterDenialsGetsTheBufferedOutputAndThenTheEnd() throws Throwable {
        Piped piped = piped();
        OutputPump pump = piped.pump();
        OutputStream writer = piped.writer();
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
    void afterTheProcessExitedAnOpenStreamReadsAsEofOnceDrained() throws Throwable {
        Piped piped = piped();
        OutputPump pump = piped.pump();
        OutputStream writer = piped.writer();
        writer.write("late".getBytes());
        writer.flush();
        assertEquals("late", pump.read(100).toStringUtf8());
        pump.processExited();
        long start = System.nanoTime();
        assertEquals(0, pump.read(100).size());
        long waited = System.nanoTime() - start;
        assertTrue(waited >= OutputPump.DRAIN_AFTER_EXIT.toNanos() / 2, "did not wait for late output");
        writer.close();
        pump.close();
    }

    @Test
    void closeEndsAPumpWhoseBufferIsFullAndReleasesTheFd() throws Throwable {
        Piped piped = piped();
        OutputPump pump = piped.pump();
        CompletableFuture<Void> endless = CompletableFuture.runAsync(() -> {
            byte[] block = new byte[1 << 16];
            try (OutputStream writer = piped.writer()) {
                while (true) {
                    writer.write(block);
                }
            } catch (IOException e) {
                // EPIPE: the pump's close released the read end, which is what this test waits for
                return;
            }
        });
        assertEquals(100, pump.read(100).size());
        Thread.sleep(100); // the poller fills the buffer and stops reading the pipe
        assertFalse(pump.finished());
        assertFalse(endless.isDone(), "the writer is blocked on the full pipe");
        pump.close();
        endless.get(10, TimeUnit.SECONDS);
    }
}
