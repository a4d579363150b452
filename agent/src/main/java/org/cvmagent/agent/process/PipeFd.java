package org.cvmagent.agent.process;

import java.io.Closeable;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The agent's end of a pipe to a child, safe to close while another thread reads or writes it.
 *
 * <p>A thread blocked in read(2) cannot be woken by closing its fd, and a pipe whose other end a
 * grandchild still holds may never see EOF. So the fd is non-blocking and every wait is a poll(2)
 * on it together with a private eventfd that {@link #close()} signals. Uses are counted and the
 * real close(2) happens when the last user has left, so a number reused by another file is never
 * touched.
 *
 * <p>Waits are blocking FFM downcalls, which pin a virtual thread to its carrier: read or write
 * a child's pipes from platform threads.
 */
final class PipeFd implements Closeable {

    private static final int MAX_CHUNK = 64 * 1024;

    private final ProcessLibc libc;
    private final int fd;
    private final int wakeFd;
    private final String description;
    private final Object lock = new Object();
    private int users;
    private boolean closing;

    private PipeFd(ProcessLibc libc, int fd, int wakeFd, String description) {
        this.libc = libc;
        this.fd = fd;
        this.wakeFd = wakeFd;
        this.description = description;
    }

    /** Takes ownership of {@code fd} and makes it non-blocking; on failure the fd is closed. */
    static PipeFd adopt(ProcessLibc libc, int fd, String description) throws IOException {
        int flags = libc.fcntl(fd, ProcessLibc.F_GETFL, 0);
        int set = flags < 0 ? flags : libc.fcntl(fd, ProcessLibc.F_SETFL, flags | ProcessLibc.O_NONBLOCK);
        if (set < 0) {
            libc.close(fd);
            throw libc.failure("make " + description + " non-blocking", set);
        }
        int wake = libc.eventfd(0, ProcessLibc.O_NONBLOCK | ProcessLibc.O_CLOEXEC);
        if (wake < 0) {
            libc.close(fd);
            throw libc.failure("eventfd for " + description, wake);
        }
        return new PipeFd(libc, fd, wake, description);
    }

    /** Reads up to {@code length} bytes, blocking until one is there; -1 at end of stream. */
    int read(byte[] target, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        int chunk = Math.min(length, MAX_CHUNK);
        while (true) {
            long n;
            int raw = enter();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buffer = arena.allocate(chunk);
                n = libc.read(raw, buffer, chunk);
                if (n > 0) {
                    MemorySegment.copy(buffer, JAVA_BYTE, 0, target, offset, (int) n);
                    return (int) n;
                }
            } finally {
                exit();
            }
            if (n == 0) {
                return -1;
            }
            if (n != -ProcessLibc.EAGAIN && n != -ProcessLibc.EINTR) {
                throw libc.failure("read from " + description, (int) n);
            }
            await(ProcessLibc.POLLIN);
        }
    }

    /** Writes all bytes, blocking while the child does not take them; EPIPE when it closed its end. */
    void write(byte[] source, int offset, int length) throws IOException {
        while (length > 0) {
            int chunk = Math.min(length, MAX_CHUNK);
            long n;
            int raw = enter();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buffer = arena.allocate(chunk);
                MemorySegment.copy(source, offset, buffer, JAVA_BYTE, 0, chunk);
                // The JVM ignores SIGPIPE, so a reader that is gone shows up here as EPIPE.
                n = libc.write(raw, buffer, chunk);
            } finally {
                exit();
            }
            if (n > 0) {
                offset += (int) n;
                length -= (int) n;
            } else if (n == -ProcessLibc.EAGAIN) {
                await(ProcessLibc.POLLOUT);
            } else if (n != -ProcessLibc.EINTR) {
                throw libc.failure("write to " + description, (int) n);
            }
        }
    }

    private void await(short events) throws IOException {
        enter();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(ProcessLibc.POLLFD, 2);
            fds.set(JAVA_INT, 0, fd);
            fds.set(JAVA_SHORT, 4, events);
            fds.set(JAVA_INT, 8, wakeFd);
            fds.set(JAVA_SHORT, 12, ProcessLibc.POLLIN);
            while (true) {
                int ready = libc.poll(fds, 2, -1);
                if (ready == -ProcessLibc.EINTR) {
                    continue;
                }
                if (ready < 0) {
                    throw libc.failure("poll on " + description, ready);
                }
                if (fds.get(JAVA_SHORT, 14) != 0) {
                    throw new AsynchronousCloseException();
                }
                // Any event, including POLLHUP and POLLERR, means the next read or write has an answer.
                return;
            }
        } finally {
            exit();
        }
    }

    /** Wakes every waiter and releases the fd once the last user has left. Idempotent. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closing) {
                return;
            }
            closing = true;
            users++;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment one = arena.allocateFrom(JAVA_LONG, 1L);
            long written = libc.write(wakeFd, one, JAVA_LONG.byteSize());
            if (written < 0) {
                // Only a counter overflow can fail this write, which one write per close cannot reach.
                throw new IllegalStateException(libc.failure("wake waiters on " + description, (int) written));
            }
        } finally {
            exit();
        }
    }

    private int enter() throws ClosedChannelException {
        synchronized (lock) {
            if (closing) {
                throw new ClosedChannelException();
            }
            users++;
            return fd;
        }
    }

    private void exit() {
        boolean release;
        synchronized (lock) {
            users--;
            release = closing && users == 0;
        }
        if (release) {
            // close(2) frees the number on Linux even when it reports an error, and the error of a
            // pipe end we are abandoning is not actionable.
            libc.close(fd);
            libc.close(wakeFd);
        }
    }

    @Override
    public String toString() {
        return description;
    }
}
