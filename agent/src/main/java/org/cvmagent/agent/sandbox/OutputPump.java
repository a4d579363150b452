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

/**
 * Copies one output stream of a container process (a pipe or a pty master) into memory, on a
 * platform thread of its own, so that {@code ReadStdout}/{@code ReadStderr} handlers — virtual
 * threads — only ever wait on a lock and never pin a carrier in a blocking read.
 *
 * <p>At most {@link #CAPACITY} bytes are held; beyond that the pump stops reading and the process
 * blocks in write, as it would on a full pipe. A read returns up to the requested bytes, or an empty
 * array for end of stream, the way kata signals EOF. As kata does, once the process has exited a
 * read that finds nothing waits at most {@link #DRAIN_AFTER_EXIT} for late output and then reports
 * EOF, so a background process that inherited the stream cannot keep the reader waiting forever.
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
    private int buffered;
    private boolean endOfStream;
    private boolean processExited;
    private boolean drained;

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
     * Up to {@code max} bytes, waiting for some; empty at end of stream.
     *
     * @throws InterruptedException when the calling handler is cancelled (deadline)
     */
    ByteString read(int max) throws InterruptedException {
        if (max <= 0) {
            return ByteString.EMPTY;
        }
        lock.lock();
        try {
            long drainDeadline = 0;
            while (buffered == 0 && !endOfStream && !drained) {
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
            if (buffered == 0) {
                return ByteString.EMPTY;
            }
            return take(Math.min(max, buffered));
        } finally {
            lock.unlock();
        }
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

    /** Whether the stream has ended and everything read from it was handed out. */
    boolean finished() {
        lock.lock();
        try {
            return (endOfStream || drained) && buffered == 0;
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
            while (true) {
                if (!awaitRoom()) {
                    return;
                }
                // A fresh array per read: it is handed out without copying and never written again.
                byte[] buffer = new byte[CHUNK];
                int n = source.read(buffer, 0, buffer.length);
                if (n < 0) {
                    return;
                }
                if (n > 0) {
                    append(n < CHUNK / 4 ? ByteString.copyFrom(buffer, 0, n)
                            : UnsafeByteOperations.unsafeWrap(buffer, 0, n));
                }
            }
        } catch (IOException e) {
            // A pty master reports EIO once the last slave closed: that is its end of stream; a
            // closed pipe end means we are shutting the process down.
            LOG.log(System.Logger.Level.DEBUG, name + " ended: " + e.getMessage());
        } finally {
            lock.lock();
            try {
                endOfStream = true;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    private boolean awaitRoom() {
        lock.lock();
        try {
            while (buffered >= CAPACITY && !endOfStream) {
                changed.awaitUninterruptibly();
            }
            return !endOfStream;
        } finally {
            lock.unlock();
        }
    }

    private void append(ByteString data) {
        lock.lock();
        try {
            chunks.addLast(data);
            buffered += data.size();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
