package org.cvmagent.agent.tty;

import org.cvmagent.transport.Libc;
import org.cvmagent.transport.NativeFd;
import org.cvmagent.transport.NativeFdInputStream;
import org.cvmagent.transport.NativeFdOutputStream;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.ClosedChannelException;

import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The master side of a container process's pseudo-terminal: what the agent reads the process's
 * output from, writes its input to, and resizes.
 *
 * <p>I/O goes through a close-safe {@link NativeFd}. The window-size ioctls need an fd number,
 * which NativeFd keeps to itself so that nobody uses a number after close; so this class holds a
 * duplicate of the master ({@code F_DUPFD_CLOEXEC}, the same open terminal) for the ioctls, used
 * and closed under its own lock for the same reason.
 */
public final class PtyMaster implements Closeable {

    private static final short POLLHUP = 0x10;

    private final TtyLibc libc;
    private final NativeFd io;
    private final String name;
    private final Object lock = new Object();
    /** The duplicate for ioctls; -1 once closed. Guarded by {@link #lock}. */
    private int control;

    private PtyMaster(TtyLibc libc, NativeFd io, int control, String name) {
        this.libc = libc;
        this.io = io;
        this.control = control;
        this.name = name;
    }

    /**
     * Takes ownership of a pty master fd (made non-blocking here, as NativeFd needs). On failure
     * the fd is closed.
     *
     * @param name what the sender called the terminal, for messages
     */
    static PtyMaster adopt(TtyLibc libc, Libc fdLibc, int fd, String name) throws IOException {
        int flags = libc.fcntl(fd, TtyLibc.F_GETFL, 0);
        int set = flags < 0 ? flags : libc.fcntl(fd, TtyLibc.F_SETFL, flags | TtyLibc.O_NONBLOCK);
        if (set < 0) {
            libc.close(fd);
            throw libc.failure("make pty master " + name + " non-blocking", set);
        }
        int control = libc.fcntl(fd, TtyLibc.F_DUPFD_CLOEXEC, 0);
        if (control < 0) {
            libc.close(fd);
            throw libc.failure("duplicate pty master " + name, control);
        }
        NativeFd io;
        try {
            io = NativeFd.adopt(fdLibc, fd, false, "pty master " + name, () -> { });
        } catch (IOException e) {
            libc.close(control);
            throw e;
        }
        return new PtyMaster(libc, io, control, name);
    }

    /** What the sender called the terminal (runc sends the name of the pty's file). */
    public String name() {
        return name;
    }

    /** The master for I/O; closing it closes the terminal's I/O but not {@link #resize}. */
    public NativeFd fd() {
        return io;
    }

    /**
     * The process's output. When every slave fd is closed (the process and its children exited)
     * Linux answers reads on the master with EIO rather than end of stream; this stream reports
     * that as end of stream, after any output still buffered.
     */
    public InputStream input() {
        return new HangUpIsEof(new NativeFdInputStream(io));
    }

    /** The process's input. */
    public OutputStream output() {
        return new NativeFdOutputStream(io);
    }

    /** Sets the terminal's size (ioctl TIOCSWINSZ); the process gets SIGWINCH when it changed. */
    public void resize(WindowSize size) throws IOException {
        synchronized (lock) {
            int fd = controlFd();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment winsize = arena.allocate(8, 2);
                winsize.set(JAVA_SHORT, 0, (short) size.rows());
                winsize.set(JAVA_SHORT, 2, (short) size.columns());
                int r = libc.ioctl(fd, libc.tiocswinsz(), winsize);
                if (r < 0) {
                    throw libc.failure("resize " + io + " to " + size.rows() + "x" + size.columns(), r);
                }
            }
        }
    }

    /** {@link #resize(WindowSize)} with kata's TtyWinResizeRequest fields. */
    public void resize(int rows, int columns) throws IOException {
        resize(new WindowSize(rows, columns));
    }

    /** The terminal's size (ioctl TIOCGWINSZ). */
    public WindowSize size() throws IOException {
        synchronized (lock) {
            int fd = controlFd();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment winsize = arena.allocate(8, 2);
                int r = libc.ioctl(fd, libc.tiocgwinsz(), winsize);
                if (r < 0) {
                    throw libc.failure("get the size of " + io, r);
                }
                return new WindowSize(Short.toUnsignedInt(winsize.get(JAVA_SHORT, 0)),
                        Short.toUnsignedInt(winsize.get(JAVA_SHORT, 2)));
            }
        }
    }

    /** Whether no slave fd is open any more (the master polls POLLHUP). */
    boolean hungUp() throws IOException {
        synchronized (lock) {
            int revents = libc.pollOne(controlFd(), (short) 0, 0);
            if (revents < 0) {
                throw libc.failure("poll " + io, revents);
            }
            return (revents & POLLHUP) != 0;
        }
    }

    private int controlFd() throws ClosedChannelException {
        if (control < 0) {
            throw new ClosedChannelException();
        }
        return control;
    }

    /** Closes the master; threads blocked reading or writing it are woken. Idempotent. */
    @Override
    public void close() {
        io.close();
        synchronized (lock) {
            if (control >= 0) {
                // close(2) frees the number even when it reports an error, and there is nothing to retry.
                libc.close(control);
                control = -1;
            }
        }
    }

    @Override
    public String toString() {
        return io.toString();
    }

    /** Turns the EIO of a master whose slaves are all closed into end of stream. */
    private final class HangUpIsEof extends InputStream {

        private final InputStream in;

        HangUpIsEof(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            try {
                return in.read(buffer, offset, length);
            } catch (ClosedChannelException e) {
                throw e;
            } catch (IOException e) {
                // Only a hang-up makes the failed read an end of stream; any other error stands.
                if (hungUp()) {
                    return -1;
                }
                throw e;
            }
        }

        @Override
        public void close() {
            PtyMaster.this.close();
        }
    }
}
