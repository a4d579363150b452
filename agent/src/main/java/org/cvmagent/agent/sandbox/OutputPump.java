package org.cvmagent.agent.sandbox;

import com.google.protobuf.ByteString;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * One output stream of a container process (a pipe or a pty master) as the stream RPCs read it:
 * the {@link OutputPoller}'s one thread reads the fd into this buffer, so that
 * {@code ReadStdout}/{@code ReadStderr} handlers — virtual threads — only ever wait on a lock and
 * never pin a carrier in a blocking read, and no stream costs a thread of its own.
 *
 * <p><b>Buffer.</b> At most {@link #CAPACITY} bytes are held. For a reader the policy allows,
 * a full buffer takes the fd out of the poll (until a read made room) and the process blocks in write, as on a full pipe: a slow shim
 * slows the workload down, as with kata. Once a read has been denied by the policy
 * ({@link #readRedacted}), the poller goes on reading and discards what does not fit, so a workload
 * whose output is hidden is never blocked by it and memory stays bounded; the buffered start of
 * the output stays for a reader the policy allows later (after SetPolicy). Marking on the first
 * denied read is enough because kata's shim always reads a process's output; a stream nobody
 * ever asks for keeps the backpressure of a pipe nobody reads. After end of stream was answered
 * the poller discards as well: nobody can read it any more, and a background process that
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
    /** Room a read must make before a stream paused on a full buffer is read again; see {@link #canTake}. */
    static final int RESUME_ROOM = 1024 * 1024;
    static final Duration DRAIN_AFTER_EXIT = Duration.ofMillis(500);
    private static final System.Logger LOG = System.getLogger("org.cvmagent.agent.sandbox");

    /** Where the bytes come from: the poller's registration of the fd. */
    interface Source {
        /** The pump can take output again (room was made, or it started discarding). */
        void wake();

        /** Stops reading and releases the fd; returns once the poller no longer uses it. */
        void close() throws InterruptedException;
    }

    private final String name;
    private final Source source;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<ByteString> chunks = new ArrayDeque<>();
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
    /** The poller was told the buffer is full: a reader that makes room must wake it. */
    private boolean sourcePaused;

    /** @param source what {@link #close()} releases and room wakes; see {@link OutputPoller#open} */
    OutputPump(String name, Source source) {
        this.name = name;
        this.source = source;
    }

    /**
     * A read the policy allows: up to {@code max} bytes, waiting for some; empty the first time
     * the stream is found at its end.
     *
     * @throws OutputEndedException when end of stream was answered already
     * @throws InterruptedException when the calling handler is cancelled (deadline)
     */
    ByteString read(int max) throws OutputEndedException, InterruptedException {
        ByteString out;
        boolean wake;
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
                out = take(Math.min(max, buffered));
            } else {
                endAnswered = true;
                changed.signalAll();
                out = ByteString.EMPTY;
            }
            wake = resumeSource();
        } finally {
            lock.unlock();
        }
        if (wake) {
            source.wake();
        }
        return out;
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
                changed.signalAll();
                if (resumeSource()) {
                    // A stream paused on a full buffer is read again, and discarded beyond it.
                    source.wake();
                }
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
        return out;
    }

    /**
     * Whether a poller that paused this stream on a full buffer must be woken because it may read
     * again; clears the pause, so one wake is sent per pause. Called with the lock.
     */
    private boolean resumeSource() {
        if (sourcePaused && canTake()) {
            sourcePaused = false;
            return true;
        }
        return false;
    }

    /**
     * Whether output read now would be kept or deliberately discarded. A stream paused on a full
     * buffer is read again only once {@link #RESUME_ROOM} is free: a reader taking 64 KiB at a time
     * then wakes the poller once per megabyte rather than once per read, and the poller reads that
     * megabyte in a row. Called with the lock.
     */
    private boolean canTake() {
        if (endOfStream) {
            return false;
        }
        return discarding() || buffered < (sourcePaused ? CAPACITY - RESUME_ROOM + 1 : CAPACITY);
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

    /** Stops the reading of the stream and releases its fd; readers see its end. */
    void close() throws InterruptedException {
        lock.lock();
        try {
            endOfStream = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        source.close();
    }

    // ------------------------------------------------------------- the poller's side

    /**
     * Whether the poller should wait for output on the fd: false while the buffer is full for an
     * allowed reader (the process then blocks on its pipe, as kata's does) and after the end. A
     * false answer for a full buffer is remembered, so that the read which makes room wakes the
     * poller.
     */
    boolean wantsInput() {
        lock.lock();
        try {
            boolean wants = canTake();
            sourcePaused = !wants && !endOfStream;
            return wants;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Output read from the fd: kept, or discarded when no reader can have it (see the class
     * comment). The chunk is never written again by the poller, so it is handed out without a copy.
     *
     * @return whether to go on reading ({@link #wantsInput()})
     */
    boolean append(ByteString chunk) {
        lock.lock();
        try {
            int n = chunk.size();
            received += n;
            if (endAnswered || (redacted && buffered >= CAPACITY)) {
                discarded += n;
            } else {
                chunks.addLast(chunk);
                buffered += n;
            }
            changed.signalAll();
            boolean wants = canTake();
            sourcePaused = !wants && !endOfStream;
            return wants;
        } finally {
            lock.unlock();
        }
    }

    /** The stream ended: end of file, a pty's hang-up (EIO), a read error, or the poller stopped. */
    void ended(String why) {
        long thrownAway;
        lock.lock();
        try {
            endOfStream = true;
            thrownAway = discarded;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        LOG.log(System.Logger.Level.DEBUG, () -> name + " ended: " + why + (thrownAway > 0
                ? "; " + thrownAway + " bytes no reader could have were discarded" : ""));
    }

    /** Nobody will read beyond the buffer: the reader is denied, or was told the stream ended. */
    private boolean discarding() {
        return redacted || endAnswered;
    }

    @Override
    public String toString() {
        return name;
    }
}
