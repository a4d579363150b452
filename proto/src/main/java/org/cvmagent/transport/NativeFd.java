package org.cvmagent.transport;

import java.io.Closeable;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.util.function.IntUnaryOperator;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * A non-blocking file descriptor owned by Java code, safe to close while other threads use it.
 *
 * <p>Two problems are solved here. First, a thread blocked in a native call cannot be woken by
 * closing its fd, and {@code shutdown(2)} does not wake {@code accept} on AF_VSOCK. So every fd is
 * non-blocking and every wait is a {@code poll(2)} on the fd together with a private eventfd;
 * {@link #close()} signals the eventfd, which wakes all waiters. Second, closing an fd number while
 * another thread is about to use it could hit an unrelated file that reuses the number. So every use
 * is counted, and the real {@code close(2)} happens only when the last user has left.
 *
 * <p>Waits are blocking FFM downcalls, which pin a virtual thread to its carrier: block on a
 * NativeFd only from platform threads.
 *
 * <p>Sockets (vsock, virtio-serial) and the agent's ends of its children's pipes all use it.
 */
public final class NativeFd implements Closeable {

    /** Upper bound of one read or write call, which is critical: it bounds how long one holds off the GC. */
    private static final int MAX_CHUNK = 1024 * 1024;
    private static final int EFD_NONBLOCK = Libc.O_NONBLOCK;
    private static final int EFD_CLOEXEC = Libc.O_CLOEXEC;

    private final Libc libc;
    private final int fd;
    private final int wakeFd;
    private final boolean socket;
    private final String description;
    private final Runnable onReleased;
    private final Object lock = new Object();
    private int users;
    private boolean closing;

    private NativeFd(Libc libc, int fd, int wakeFd, boolean socket, String description, Runnable onReleased) {
        this.libc = libc;
        this.fd = fd;
        this.wakeFd = wakeFd;
        this.socket = socket;
        this.description = description;
        this.onReleased = onReleased;
    }

    /**
     * Takes ownership of {@code fd}, which must already be non-blocking. On failure the fd is closed.
     *
     * @param socket      whether fd is a socket (then writes use send with MSG_NOSIGNAL, close shuts it down)
     * @param onReleased  runs once, after the fd has really been closed
     */
    public static NativeFd adopt(Libc libc, int fd, boolean socket, String description, Runnable onReleased)
            throws IOException {
        int wake = libc.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (wake < 0) {
            libc.close(fd);
            onReleased.run();
            throw libc.failure("eventfd for " + description, wake);
        }
        return new NativeFd(libc, fd, wake, socket, description, onReleased);
    }

    String description() {
        return description;
    }

    boolean isClosed() {
        synchronized (lock) {
            return closing;
        }
    }

    /**
     * Runs a native call on the raw fd while holding a use, and returns its raw result
     * ({@code -errno} on failure).
     */
    int call(IntUnaryOperator nativeCall) throws ClosedChannelException {
        int raw = enter();
        try {
            return nativeCall.applyAsInt(raw);
        } finally {
            exit();
        }
    }

    /**
     * Waits until the fd reports one of {@code events} (or an error or hang-up, which poll always
     * reports) and returns the reported events, or 0 when {@code timeoutMillis} (-1: none) passed.
     *
     * @throws AsynchronousCloseException when the fd was closed before or during the wait
     */
    short await(short events, int timeoutMillis) throws IOException {
        enter();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(Libc.POLLFD, 2);
            fds.set(JAVA_INT, 0, fd);
            fds.set(JAVA_SHORT, 4, events);
            fds.set(JAVA_INT, 8, wakeFd);
            fds.set(JAVA_SHORT, 12, Libc.POLLIN);
            while (true) {
                int ready = libc.poll(fds, 2, timeoutMillis);
                if (ready == -Libc.EINTR) {
                    continue;
                }
                if (ready < 0) {
                    throw libc.failure("poll on " + description, ready);
                }
                if (fds.get(JAVA_SHORT, 14) != 0) {
                    throw new AsynchronousCloseException();
                }
                return fds.get(JAVA_SHORT, 6);
            }
        } finally {
            exit();
        }
    }

    /**
     * Holds a use of the fd until the lease is closed, for code that waits on many fds in one
     * poll(2) and so needs their numbers: while a lease is open the number cannot be released by
     * {@link #close()} and reused by another file. Close the lease once the number is no longer
     * used; a {@link #close()} that came meanwhile takes effect then.
     *
     * @throws ClosedChannelException when the fd was closed already
     */
    public Lease lease() throws ClosedChannelException {
        return new Lease(enter());
    }

    /** One use of a {@link NativeFd}'s number; see {@link #lease()}. */
    public final class Lease implements AutoCloseable {
        private final int number;
        private boolean released;

        private Lease(int number) {
            this.number = number;
        }

        /** The fd number, valid until {@link #close()}. */
        public int fd() {
            return number;
        }

        /** Gives the use back; idempotent. */
        @Override
        public void close() {
            synchronized (this) {
                if (released) {
                    return;
                }
                released = true;
            }
            exit();
        }

        @Override
        public String toString() {
            return description;
        }
    }

    /** Sleeps for {@code millis} unless the fd gets closed first, which ends the sleep with an exception. */
    void pause(int millis) throws IOException {
        enter();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(Libc.POLLFD, 1);
            fds.set(JAVA_INT, 0, wakeFd);
            fds.set(JAVA_SHORT, 4, Libc.POLLIN);
            int ready = libc.poll(fds, 1, millis);
            if (ready < 0 && ready != -Libc.EINTR) {
                throw libc.failure("poll on " + description, ready);
            }
            if (ready > 0) {
                throw new AsynchronousCloseException();
            }
        } finally {
            exit();
        }
    }

    /**
     * Reads up to {@code length} bytes, blocking until at least one is there.
     *
     * @return the number of bytes read, or -1 at end of stream (the peer hung up)
     */
    int read(byte[] target, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        int chunk = Math.min(length, MAX_CHUNK);
        while (true) {
            long n;
            int raw = enter();
            try {
                MemorySegment buffer = MemorySegment.ofArray(target).asSlice(offset, chunk);
                n = socket ? libc.recv(raw, buffer, chunk, 0) : libc.read(raw, buffer, chunk);
                if (n > 0) {
                    return (int) n;
                }
            } finally {
                exit();
            }
            if (n == 0) {
                return -1;
            }
            if (n != -Libc.EAGAIN && n != -Libc.EINTR) {
                throw libc.failure("read from " + description, (int) n);
            }
            await(Libc.POLLIN, -1);
        }
    }

    /** Writes all bytes, blocking while the peer does not take them. */
    void write(byte[] source, int offset, int length) throws IOException {
        boolean hungUp = false;
        while (length > 0) {
            int chunk = Math.min(length, MAX_CHUNK);
            long n;
            int raw = enter();
            try {
                MemorySegment buffer = MemorySegment.ofArray(source).asSlice(offset, chunk);
                // MSG_NOSIGNAL: a closed peer must give EPIPE, not a process-wide SIGPIPE.
                n = socket ? libc.send(raw, buffer, chunk, Libc.MSG_NOSIGNAL) : libc.write(raw, buffer, chunk);
            } finally {
                exit();
            }
            if (n > 0) {
                offset += (int) n;
                length -= (int) n;
                continue;
            }
            if (n == -Libc.EINTR) {
                continue;
            }
            if (n != -Libc.EAGAIN && n != 0) {
                throw libc.failure("write to " + description, (int) n);
            }
            if (hungUp) {
                // A virtio-serial port whose host side is gone stays unwritable and reports only
                // POLLHUP, so waiting again would spin forever.
                throw new IOException("write to " + description + ": the peer hung up");
            }
            short revents = await(Libc.POLLOUT, -1);
            hungUp = (revents & Libc.POLLOUT) == 0
                    && (revents & (Libc.POLLHUP | Libc.POLLERR | Libc.POLLNVAL)) != 0;
        }
    }

    /**
     * Closes the fd: a socket is shut down at once (the peer sees the end of stream), waiters are
     * woken, and the fd number itself is released when the last thread using it has left.
     * Idempotent.
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (closing) {
                return;
            }
            closing = true;
            users++;
        }
        try {
            if (socket) {
                // Unconnected and listening sockets answer ENOTCONN; there is nothing to shut down then.
                libc.shutdown(fd, Libc.SHUT_RDWR);
            }
            wakeWaiters();
        } finally {
            exit();
        }
    }

    private void wakeWaiters() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment one = arena.allocateFrom(JAVA_LONG, 1L);
            long written = libc.write(wakeFd, one, JAVA_LONG.byteSize());
            if (written < 0) {
                // Only a counter overflow can fail this write, which 1 per close cannot reach.
                throw new IllegalStateException(libc.failure("wake waiters on " + description, (int) written));
            }
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
            // close(2) always frees the number on Linux, even when it reports an error, and the
            // error of an fd we are abandoning is not actionable.
            libc.close(fd);
            libc.close(wakeFd);
            onReleased.run();
        }
    }

    @Override
    public String toString() {
        return description;
    }
}
