package org.cvmagent.agent.sandbox;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * Copies one output stream of a container process (a pipe or a pty master) into memory, on a
 * platform thread of its own, so that {@code ReadStdout}/{@code ReadStderr} handlers — virtual
 * threads — only ever wait on a lock and never pin a carrier in a blocking read.
 *
 * <p><b>Buffer.</b> At most {@link #CAPACITY} bytes are held. For a reader the policy allows,
 * a full buffer stops the pump and the process blocks in write, as on a full pipe: a slow shim
 * slows the workload down, as with kata. Once a read has been denied by the policy
 * ({@link #readRedacted}), the pump goes on reading and discards what does not fit, so a workload
 * whose output is hidden is never blocked by it and memory stays bounded; the buffered start of
 * the output stays for a reader the policy allows later (after SetPolicy). Marking on the first
 * denied read is enough because kata's shim always reads a process's output; a stream nobody
 * ever asks for keeps the backpressure of a pipe nobody reads. After end of stream was answered
 * the pump discards as well: nobody can read it any more, and a background process that
 * inherited the stream must not block on it.
 *
 * <p><b>End of stream, for both kata generations.</b> kata before Feb 2026: kata-agent answered a
 * read at end of stream with an error ("read meet eof"), and the runtime's readProcessStream ends
 * its copy on any error; an empty answer is (0, nil) to its io.Copy, which reads again, so an
 * agent that only answered empty would keep an old shim spinning. kata after Feb 2026: an empty
 * answer is end of stream. So the first read at end of stream answers empty (a new shim stops
 * there) and every read after it on the same stream throws {@link OutputEndedException}, which
 * the sandbox answers with an error (an old shim stops there). The same rule holds for denied
 * reads, which see a stream without data: empty while output flows (one answer per batch of new
 * output, so an old shim waits instead of spinning), empty at its end, then the error.
 *
 * <p>As kata does, once the process has exited a read that finds nothing waits at most
 * {@link #DRAIN_AFTER_EXIT} for late output and then reports end of stream, so a background
 * process that inherited the stream cannot keep the reader waiting forever.
 */
final class OutputPump {

    static final int CAPACITY = 4 * 1024 * 1024;
    static final Duration DRAIN_AFTER_EXIT = Duration.ofMillis(500);
    private static final int CHUNK = 64 * 1024;
    private static final System.Logger LOG = System.getLogger("org.cvmagent.agent.sandbox");

    private final InputStream source;
    private final String name;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<ByteString> chunks = new ArrayDeque<>();
    private final Thread thread;
    // all guarded by lock
    private int buffered;
    /** Bytes read from the source, kept or discarded: what a denied reader waits on. */
    private long received;
    private long discarded;
    private boolean endOfStream;
    private boolean processExited;
    private boolean drained;
    /** The latest read was denied by the policy: discard what does not fit the buffer. */
    private boolean redacted;
    /** {@link #received} at the latest denied read. */
    private long redactedSeen;
    private boolean endAnswered;
    private boolean redactedEndAnswered;

    OutputPump(InputStream source, String name) {
        this.source = source;
        this.name = name;
        this.thread = Thread.ofPlatform().daemon().name(name).unstarted(this::pump);
    }

    /** Starts copying; separate from the constructor so no thread sees a half-built pump. */
    OutputPump start() {
        thread.start();
        return this;
    }

    /**
     * A read the policy allows: up to {@code max} bytes, waiting for some; empty the first time
     * the stream is found at its end.
     *
     * @throws OutputEndedException when end of stream was answered already
     * @throws InterruptedException when the calling handler is cancelled (deadline)
     */
    ByteString read(int max) throws OutputEndedException, InterruptedException {
        lock.lock();
        try {
            // An allowed reader is back: the output is theirs again, with a pipe's backpressure.
            redacted = false;
            if (endAnswered) {
                throw new OutputEndedException(name);
            }
            if (max <= 0) {
                return ByteString.EMPTY;
            }
            if (awaitOutput(() -> buffered > 0)) {
                return take(Math.min(max, buffered));
            }
            endAnswered = true;
            changed.signalAll();
            return ByteString.EMPTY;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A read the policy denied: always empty, and from now on the pump discards what does not fit
     * the buffer. Returns once output arrived since the previous denied read, or at end of stream.
     *
     * @throws OutputEndedException when end of stream was answered to a denied read already
     * @throws InterruptedException when the calling handler is cancelled (deadline)
     */
    ByteString readRedacted() throws OutputEndedException, InterruptedException {
        lock.lock();
        try {
            if (!redacted) {
                redacted = true;
                changed.signalAll(); // a pump waiting for room starts discarding
            }
            if (redactedEndAnswered) {
                throw new OutputEndedException(name);
            }
            long seen = redactedSeen;
            if (awaitOutput(() -> received > seen)) {
                redactedSeen = received;
            } else {
                redactedEndAnswered = true;
            }
            return ByteString.EMPTY;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until {@code available} holds or the stream has ended (or the process exited and the
     * drain window passed without output); whether {@code available} holds. Called with the lock.
     */
    private boolean awaitOutput(BooleanSupplier available) throws InterruptedException {
        long drainDeadline = 0;
        while (!available.getAsBoolean() && !endOfStream && !drained) {
            if (processExited) {
                long now = System.nanoTime();
                if (drainDeadline == 0) {
                    drainDeadline = now + DRAIN_AFTER_EXIT.toNanos();
                }
                long left = drainDeadline - now;
                if (left <= 0) {
                    drained = true;
                    break;
                }
                changed.await(left, TimeUnit.NANOSECONDS);
            } else {
                changed.await();
            }
        }
        return available.getAsBoolean();
    }

    /** The first {@code count} buffered bytes, as a rope of the chunks read: no copy here. */
    private ByteString take(int count) {
        ByteString out = ByteString.EMPTY;
        while (out.size() < count) {
            ByteString head = chunks.removeFirst();
            int wanted = count - out.size();
            if (head.size() > wanted) {
                chunks.addFirst(head.substring(wanted));
                head = head.substring(0, wanted);
            }
            out = out.concat(head);
        }
        buffered -= count;
        changed.signalAll();
        return out;
    }

    /** The process has exited: readers stop waiting after the drain window. */
    void processExited() {
        lock.lock();
        try {
            processExited = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Whether nothing more is owed to a reader: one was told that the stream ended, or the stream
     * ended while its reads were denied (a new runtime stops at its first, empty, denied read and
     * will not come back for the end; an exec process must still be forgotten once waited for).
     */
    boolean finished() {
        lock.lock();
        try {
            return endAnswered || redactedEndAnswered || (redacted && endOfStream);
        } finally {
            lock.unlock();
        }
    }

    /** Bytes read from the stream and thrown away (see the class comment), for logs and tests. */
    long discarded() {
        lock.lock();
        try {
            return discarded;
        } finally {
            lock.unlock();
        }
    }

    /** Closes the stream (which wakes the pump thread) and waits for the thread to end. */
    void close() throws InterruptedException {
        lock.lock();
        try {
            endOfStream = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            source.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "closing " + name + ": " + e.getMessage());
        }
        thread.join();
    }

    private void pump() {
        try {
            while (awaitRoom()) {
                // A fresh array per read: it is handed out without copying and never written again.
                byte[] buffer = new byte[CHUNK];
                int n = source.read(buffer, 0, buffer.length);
                if (n < 0) {
                    return;
                }
                if (n > 0) {
                    append(buffer, n);
                }
            }
        } catch (IOException e) {
            // A pty master reports EIO once the last slave closed: that is its end of stream; a
            // closed pipe end means we are shutting the process down.
            LOG.log(System.Logger.Level.DEBUG, name + " ended: " + e.getMessage());
        } finally {
            long thrownAway;
            lock.lock();
            try {
                endOfStream = true;
                thrownAway = discarded;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            if (thrownAway > 0) {
                LOG.log(System.Logger.Level.DEBUG, name + ": " + thrownAway + " bytes no reader could have were discarded");
            }
        }
    }

    /** Whether to read on: waits while the buffer is full for a reader that will empty it. */
    private boolean awaitRoom() {
        lock.lock();
        try {
            while (buffered >= CAPACITY && !discarding() && !endOfStream) {
                changed.awaitUninterruptibly();
            }
            return !endOfStream;
        } finally {
            lock.unlock();
        }
    }

    /** Nobody will read beyond the buffer: the reader is denied, or was told the stream ended. */
    private boolean discarding() {
        return redacted || endAnswered;
    }

    private void append(byte[] buffer, int n) {
        lock.lock();
        try {
            received += n;
            if (endAnswered || (redacted && buffered >= CAPACITY)) {
                discarded += n;
            } else {
                chunks.addLast(n < CHUNK / 4 ? ByteString.copyFrom(buffer, 0, n)
                        : UnsafeByteOperations.unsafeWrap(buffer, 0, n));
                buffered += n;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
