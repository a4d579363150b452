package org.cvmagent.agent.sandbox;

import com.google.protobuf.ByteString;
import org.cvmagent.transport.NativeFdOutputStream;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one poll loop under many streams, backpressure, closes and a terminal's hang-up. */
class OutputPollerTest {

    private static final TestFds FDS = new TestFds();
    private static final int PIPE_BYTES = 64 * 1024;

    @Test
    void manyStreamsAreReadOnOneThread() throws Throwable {
        int streams = 64;
        try (OutputPoller poller = OutputPoller.start("many-poller")) {
            List<OutputPump> pumps = new ArrayList<>();
            List<OutputStream> writers = new ArrayList<>();
            for (int i = 0; i < streams; i++) {
                TestFds.Pipe pipe = FDS.pipe("stream-" + i);
                pumps.add(poller.open(pipe.read(), "stream-" + i));
                writers.add(new NativeFdOutputStream(pipe.write()));
            }
            long threadsBefore = pollerThreads();
            List<CompletableFuture<Void>> written = new ArrayList<>();
            for (int i = 0; i < streams; i++) {
                OutputStream writer = writers.get(i);
                byte[] data = payload(i);
                written.add(CompletableFuture.runAsync(() -> {
                    try (writer) {
                        writer.write(data);
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            for (int i = 0; i < streams; i++) {
                assertArrayEquals(payload(i), readToEnd(pumps.get(i)), "stream " + i);
            }
            CompletableFuture.allOf(written.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            assertEquals(1, threadsBefore, "one thread reads all " + streams + " streams");
            assertEquals(1, pollerThreads());
            for (OutputPump pump : pumps) {
                pump.close();
            }
        }
    }

    @Test
    void aFullBufferStopsReadingUntilAReadMakesRoom() throws Throwable {
        try (OutputPoller poller = OutputPoller.start("full-poller")) {
            TestFds.Pipe pipe = FDS.pipe("full");
            OutputPump pump = poller.open(pipe.read(), "full");
            AtomicLong written = new AtomicLong();
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                byte[] block = new byte[4096];
                try (OutputStream out = new NativeFdOutputStream(pipe.write())) {
                    while (true) {
                        out.write(block);
                        written.addAndGet(block.length);
                    }
                } catch (IOException e) {
                    // EPIPE once the pump's close released the read end: how this writer ends
                    return;
                }
            });
            long blockedAt = awaitSteady(written);
            assertTrue(blockedAt >= OutputPump.CAPACITY, "the buffer filled: " + blockedAt);
            assertTrue(blockedAt <= OutputPump.CAPACITY + OutputPoller.CHUNK + PIPE_BYTES,
                    "the writer was held back at the buffer's capacity plus the pipe: " + blockedAt);
            assertEquals(OutputPoller.CHUNK, pump.read(OutputPoller.CHUNK).size());
            Thread.sleep(200);
            assertEquals(blockedAt, written.get(), "less than RESUME_ROOM was read: the stream stays paused");
            int room = OutputPump.RESUME_ROOM + OutputPoller.CHUNK;
            assertEquals(room, pump.read(room).size());
            long resumedAt = awaitSteady(written);
            assertTrue(resumedAt >= blockedAt + room - OutputPoller.CHUNK,
                    "room made by the read let the writer go on: " + blockedAt + " -> " + resumedAt);
            pump.close();
            writer.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aDeniedReaderMakesAPausedStreamDiscard() throws Throwable {
        try (OutputPoller poller = OutputPoller.start("redacted-poller")) {
            TestFds.Pipe pipe = FDS.pipe("redacted");
            OutputPump pump = poller.open(pipe.read(), "redacted");
            AtomicLong written = new AtomicLong();
            long total = 3L * OutputPump.CAPACITY;
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                byte[] block = new byte[1 << 16];
                try (OutputStream out = new NativeFdOutputStream(pipe.write())) {
                    while (written.get() < total) {
                        out.write(block);
                        written.addAndGet(block.length);
                    }
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            awaitSteady(written); // paused on a full buffer
            assertFalse(writer.isDone());
            assertEquals(0, pump.readRedacted().size());
            writer.get(30, TimeUnit.SECONDS); // the policy's denial unblocked the writer
            while (!pump.finished()) {
                assertEquals(0, pump.readRedacted().size());
            }
            assertTrue(pump.discarded() >= total - OutputPump.CAPACITY - OutputPoller.CHUNK, "" + pump.discarded());
            // The start of the output stays for a reader the policy allows later.
            int kept = readToEnd(pump).length;
            assertTrue(kept >= OutputPump.CAPACITY && kept < OutputPump.CAPACITY + OutputPoller.CHUNK, "" + kept);
            pump.close();
        }
    }

    @Test
    void endOfStreamIsEmptyOnceThenAnError() throws Throwable {
        try (OutputPoller poller = OutputPoller.start("eof-poller")) {
            TestFds.Pipe pipe = FDS.pipe("eof");
            OutputPump pump = poller.open(pipe.read(), "eof");
            try (OutputStream out = new NativeFdOutputStream(pipe.write())) {
                out.write("last words".getBytes(StandardCharsets.UTF_8));
            }
            assertEquals("last words", pump.read(100).toStringUtf8());
            assertEquals(ByteString.EMPTY, pump.read(100), "kata after Feb 2026 stops at the empty answer");
            assertTrue(pump.finished());
            assertThrows(OutputEndedException.class, () -> pump.read(100), "kata before stops at the error");
            pump.close();
        }
    }

    @Test
    void closeWakesABlockedReaderAndReleasesTheFd() throws Throwable {
        try (OutputPoller poller = OutputPoller.start("close-poller")) {
            TestFds.Pipe pipe = FDS.pipe("close");
            OutputPump pump = poller.open(pipe.read(), "close");
            CompletableFuture<ByteString> reader = CompletableFuture.supplyAsync(() -> {
                try {
                    return pump.read(100);
                } catch (OutputEndedException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(100);
            assertFalse(reader.isDone(), "nothing was written: the reader waits");
            pump.close();
            assertEquals(ByteString.EMPTY, reader.get(10, TimeUnit.SECONDS));
            OutputStream out = new NativeFdOutputStream(pipe.write());
            IOException broken = assertThrows(IOException.class, () -> out.write(1),
                    "the read end is closed: the process gets EPIPE");
            assertTrue(broken.getMessage().contains("pipe"), broken.getMessage());
            out.close();
        }
    }

    @Test
    void aTerminalsHangUpIsItsEnd() throws Throwable {
        try (OutputPoller poller = OutputPoller.start("pty-poller")) {
            TestFds.Pty pty = FDS.pty();
            OutputPump pump = poller.open(pty.master(), "pty");
            FDS.write(pty.slave(), "hello\n".getBytes(StandardCharsets.UTF_8));
            FDS.close(pty.slave()); // the master now reads EIO once the output is read
            assertEquals("hello\r\n", new String(readToEnd(pump), StandardCharsets.UTF_8));
            assertTrue(pump.finished());
            pump.close();
        }
    }

    @Test
    void stoppingThePollerEndsItsStreams() throws Throwable {
        TestFds.Pipe pipe = FDS.pipe("stopped");
        OutputPump pump;
        try (OutputPoller poller = OutputPoller.start("stop-poller")) {
            pump = poller.open(pipe.read(), "stopped");
        }
        assertEquals(ByteString.EMPTY, pump.read(10), "readers are told the end rather than left waiting");
        pump.close();
        pipe.write().close();
    }

    private static byte[] payload(int stream) {
        byte[] data = new byte[100_000 + stream * 1000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31 + stream);
        }
        return data;
    }

    private static byte[] readToEnd(OutputPump pump) throws Exception {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        while (true) {
            ByteString chunk = pump.read(1 << 20);
            if (chunk.isEmpty()) {
                return got.toByteArray();
            }
            chunk.writeTo(got);
        }
    }

    private static long pollerThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("many-poller")).count();
    }

    /** Waits until {@code counter} stops moving (the writer is blocked) and returns its value. */
    private static long awaitSteady(AtomicLong counter) throws InterruptedException {
        long last = -1;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            Thread.sleep(200);
            long now = counter.get();
            if (now == last) {
                return now;
            }
            last = now;
        }
        throw new AssertionError("the writer never stopped: " + last);
    }
}
