package org.cvmagent.agent.sandbox;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import org.cvmagent.transport.NativeFd;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Reads every container process's output fds (pipes and pty masters) on one platform thread per
 * agent, waiting on all of them in one poll(2), into their {@link OutputPump}s. Before, each stream
 * had a platform thread of its own blocked in read: two per process with pipes, each with its
 * stack, for output that mostly does not flow.
 *
 * <p>The fds are non-blocking; a ready fd is read into fresh 64 KiB arrays, which the pump hands
 * out without a copy (a short read is copied into a small array instead, and the big one is used
 * again). A pump that cannot take more (its buffer is full for an allowed reader) is left out of the
 * poll until a read made room, which keeps a pipe's backpressure on the process. Other threads never
 * touch the poll array: they queue new streams, mark streams closed, or make room, and then write to
 * an eventfd that is always in the poll, which wakes the loop to look again.
 */
public final class OutputPoller implements AutoCloseable {

    static final int CHUNK = 64 * 1024;
    /** Reads of one fd in a row before the others get their turn: at most 1 MiB. */
    private static final int READS_PER_TURN = 16;
    /** A read shorter than this is copied out, so its 64 KiB array can be used again. */
    private static final int COPY_BELOW = CHUNK / 4;
    private static final int EFD_NONBLOCK = PollLibc.O_NONBLOCK;
    private static final int EFD_CLOEXEC = PollLibc.O_CLOEXEC;
    private static final System.Logger LOG = System.getLogger("org.cvmagent.agent.sandbox");

    private final PollLibc libc;
    private final int wakeFd;
    private final Thread thread;
    private final ConcurrentLinkedQueue<PolledStream> added = new ConcurrentLinkedQueue<>();
    /** A wake is written and not yet seen by the loop: later wakes need not write again. */
    private final AtomicBoolean wakePending = new AtomicBoolean();
    private volatile boolean stopping;
    private final Object wakeLock = new Object();
    /** Guarded by {@link #wakeLock}: the eventfd is closed, so a wake must not write to its number. */
    private boolean wakeClosed;
    /** Guarded by {@code this}: set once the loop has ended; no stream is admitted then. */
    private boolean stopped;

    private OutputPoller(PollLibc libc, int wakeFd, String name) {
        this.libc = libc;
        this.wakeFd = wakeFd;
        this.thread = Thread.ofPlatform().daemon().name(name).unstarted(this::run);
    }

    /** Starts the poller's thread. */
    public static OutputPoller start(String name) throws IOException {
        PollLibc libc = PollLibc.load();
        int wake = libc.eventfd(EFD_NONBLOCK | EFD_CLOEXEC);
        if (wake < 0) {
            throw libc.failure("eventfd for " + name, wake);
        }
        OutputPoller poller = new OutputPoller(libc, wake, name);
        poller.thread.start();
        return poller;
    }

    /**
     * Starts reading {@code fd} (made non-blocking here) into a new pump. {@link OutputPump#close()}
     * stops that and closes the fd.
     *
     * @throws IOException when the fd is closed already, cannot be made non-blocking, or the poller stopped
     */
    OutputPump open(NativeFd fd, String name) throws IOException {
        NativeFd.Lease lease = fd.lease();
        PolledStream stream;
        try {
            libc.makeNonBlocking(lease.fd(), name);
            stream = new PolledStream(this, fd, lease, name);
            synchronized (this) {
                if (stopped) {
                    throw new IOException("cannot read " + name + ": the output poller has stopped");
                }
                added.add(stream);
            }
        } catch (IOException | RuntimeException e) {
            lease.close();
            throw e;
        }
        wake();
        return stream.pump();
    }

    /** Makes the loop look at its streams again; cheap when a wake is already pending. */
    void wake() {
        if (!wakePending.compareAndSet(false, true)) {
            return;
        }
        synchronized (wakeLock) {
            if (wakeClosed) {
                return; // the loop has ended: there is nobody to wake, and the number may be reused
            }
            int r = libc.signal(wakeFd);
            if (r < 0) {
                // Only a counter overflow can fail this write, which one per wake cannot reach.
                throw new IllegalStateException(libc.failure("wake the output poller", r));
            }
        }
    }

    /** Stops the loop: every stream still read ends (its readers see end of stream) and its fd is released. */
    @Override
    public void close() throws InterruptedException {
        stopping = true;
        wake();
        thread.join();
        synchronized (wakeLock) {
            if (!wakeClosed) {
                wakeClosed = true;
                // close(2) frees the number even when it reports an error; nothing to retry.
                libc.close(wakeFd);
            }
        }
    }

    /** The loop's thread, for tests. */
    Thread thread() {
        return thread;
    }

    private void run() {
        List<PolledStream> streams = new ArrayList<>();
        try {
            new Loop(streams).run();
        } catch (RuntimeException | Error e) {
            // A bug or an unusable poll: nothing can read the output any more, so every reader is
            // told the end now rather than waiting forever.
            LOG.log(System.Logger.Level.ERROR, "the output poller failed; every output stream ends", e);
        } finally {
            synchronized (this) {
                stopped = true;
            }
            for (PolledStream stream = added.poll(); stream != null; stream = added.poll()) {
                streams.add(stream);
            }
            for (PolledStream stream : streams) {
                stream.end("the output poller stopped");
                stream.release();
            }
        }
    }

    /** The poll loop's state; confined to the poller thread. */
    private final class Loop {
        private final List<PolledStream> streams;
        /** The streams in the poll array, in its order after the eventfd at index 0. */
        private final List<PolledStream> polled = new ArrayList<>();
        private final byte[] eventCount = new byte[8];
        private byte[] spare = new byte[CHUNK];

        Loop(List<PolledStream> streams) {
            this.streams = streams;
        }

        void run() {
            try (Arena arena = Arena.ofConfined(); PollArray array = new PollArray()) {
                MemorySegment state = arena.allocate(PollLibc.CALL_STATE);
                while (!stopping) {
                    admit();
                    MemorySegment fds = array.fill(wakeFd, polled);
                    int ready = libc.poll(state, fds, polled.size() + 1L, -1);
                    if (ready == -PollLibc.EINTR) {
                        continue;
                    }
                    if (ready < 0) {
                        throw new IllegalStateException(libc.failure("poll output fds", ready));
                    }
                    if (PollArray.revents(fds, 0) != 0) {
                        consumeWake(state);
                    }
                    for (int i = 0; i < polled.size(); i++) {
                        if (PollArray.revents(fds, i + 1) != 0) {
                            readReady(state, polled.get(i));
                        }
                    }
                }
            }
        }

        /** Takes in new streams, drops finished ones, and picks those that want input for the poll. */
        private void admit() {
            for (PolledStream stream = added.poll(); stream != null; stream = added.poll()) {
                streams.add(stream);
            }
            polled.clear();
            streams.removeIf(stream -> {
                if (stream.finished()) {
                    stream.release();
                    return true;
                }
                if (stream.pump().wantsInput()) {
                    polled.add(stream);
                }
                return false;
            });
        }

        /**
         * Clears the eventfd, then the flag. In this order no wake is lost: a waker that still saw
         * the flag set made its change before the flag was cleared, so the next {@link #admit()}
         * sees it; a waker after that writes the eventfd again. (The other order could read away a
         * write whose waker then leaves the flag set, and the loop would sleep through every later wake.)
         */
        private void consumeWake(MemorySegment state) {
            int r = libc.drain(state, wakeFd, eventCount);
            if (r < 0 && r != -PollLibc.EAGAIN) {
                throw new IllegalStateException(libc.failure("read the output poller's eventfd", r));
            }
            wakePending.set(false);
        }

        /** Reads what the fd has, up to {@link #READS_PER_TURN} chunks, while the pump takes it. */
        private void readReady(MemorySegment state, PolledStream stream) {
            for (int turn = 0; turn < READS_PER_TURN; turn++) {
                byte[] buffer = spare;
                long n = libc.read(state, stream.fd(), buffer, CHUNK);
                if (n > 0) {
                    ByteString chunk;
                    if (n < COPY_BELOW) {
                        chunk = ByteString.copyFrom(buffer, 0, (int) n);
                    } else {
                        chunk = UnsafeByteOperations.unsafeWrap(buffer, 0, (int) n);
                        spare = new byte[CHUNK]; // the pump owns that array now: never written again
                    }
                    if (!stream.pump().append(chunk) || n < CHUNK) {
                        return; // full, or the fd is most likely empty: poll again before reading
                    }
                } else if (n == 0) {
                    stream.end("end of file");
                    return;
                } else if (n == -PollLibc.EAGAIN || n == -PollLibc.EINTR) {
                    return; // nothing more now (or a signal): the next poll says when
                } else if (n == -PollLibc.EIO) {
                    // A pty master answers EIO once every slave fd is closed: the terminal's end.
                    stream.end("the terminal hung up");
                    return;
                } else {
                    IOException failure = libc.failure("read " + stream, (int) n);
                    LOG.log(System.Logger.Level.WARNING, failure.getMessage() + "; the stream ends");
                    stream.end(failure.getMessage());
                    return;
                }
            }
        }
    }
}
