package org.cvmagent.agent.tty;

import org.cvmagent.transport.Libc;

import java.io.Closeable;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The listening end of runc's {@code --console-socket}: runc connects, sends the pty master it
 * made for the container's process as SCM_RIGHTS ancillary data of one message whose payload is
 * the terminal's name, and hangs up.
 *
 * <p>Made with FFM calls because the JDK's unix-domain channels cannot receive fds. The socket
 * file is 0600 and missing parent directories are made 0700, since whoever connects can hand the
 * agent a terminal of its choosing; put it in a directory only root can use. {@link #close()}
 * removes the file.
 *
 * <p>Used by one thread at a time: {@link #close()} while {@link #receiveMaster} waits would free
 * an fd number the wait still uses.
 */
public final class ConsoleSocket implements Closeable {

    /** runc's name payload is at most 4096 bytes (utils.MaxNameLen). */
    private static final int NAME_BYTES = 4096;
    /** Room for more fds than runc sends, so extras are seen (and closed) rather than truncated. */
    private static final int MAX_FDS = 16;
    private static final int CMSG_HEADER = 16;
    private static final int MSGHDR_BYTES = 56;

    private final TtyLibc libc;
    private final Libc fdLibc;
    private final Path path;
    private int listening;

    private ConsoleSocket(TtyLibc libc, Libc fdLibc, Path path, int listening) {
        this.libc = libc;
        this.fdLibc = fdLibc;
        this.path = path;
        this.listening = listening;
    }

    /** Listens at {@code path} with freshly bound C library calls. */
    public static ConsoleSocket listen(Path path) throws IOException {
        return listen(TtyLibc.load(), Libc.load(), path);
    }

    static ConsoleSocket listen(TtyLibc libc, Libc fdLibc, Path path) throws IOException {
        byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
        if (name.length >= TtyLibc.SUN_PATH_BYTES) {
            throw new IOException("console socket path is " + name.length + " bytes, longer than a unix socket allows ("
                    + (TtyLibc.SUN_PATH_BYTES - 1) + "): " + path);
        }
        Path parent = path.toAbsolutePath().getParent();
        Files.createDirectories(parent, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        int fd = libc.socket(TtyLibc.AF_UNIX, TtyLibc.SOCK_STREAM | TtyLibc.SOCK_CLOEXEC | TtyLibc.SOCK_NONBLOCK, 0);
        if (fd < 0) {
            throw libc.failure("create console socket " + path, fd);
        }
        boolean bound = false;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = arena.allocate(2 + TtyLibc.SUN_PATH_BYTES, 2);
            address.set(JAVA_SHORT, 0, (short) TtyLibc.AF_UNIX);
            MemorySegment.copy(name, 0, address, JAVA_BYTE, 2, name.length);
            int r = libc.bind(fd, address);
            if (r < 0) {
                throw libc.failure("bind console socket " + path, r);
            }
            bound = true;
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
            r = libc.listen(fd, 1);
            if (r < 0) {
                throw libc.failure("listen on console socket " + path, r);
            }
            return new ConsoleSocket(libc, fdLibc, path, fd);
        } catch (IOException | RuntimeException e) {
            libc.close(fd);
            if (bound) {
                Files.deleteIfExists(path);
            }
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    /**
     * Waits for a connection and the one fd it sends.
     *
     * @throws IOException when nothing connected within {@code timeout}, the peer hung up or sent
     *                     no fd, or it sent more than one (all received fds are closed then)
     */
    public PtyMaster receiveMaster(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int connection = accept(deadline, timeout);
        try {
            return receive(connection, deadline, timeout);
        } finally {
            // The peer's only message has been taken (or failed); nothing else comes on it.
            libc.close(connection);
        }
    }

    private int accept(long deadline, Duration timeout) throws IOException {
        while (true) {
            await(listeningFd(), deadline, "no connection on console socket " + path + " within " + timeout);
            int connection = libc.accept4(listeningFd(), TtyLibc.SOCK_CLOEXEC | TtyLibc.SOCK_NONBLOCK);
            if (connection >= 0) {
                return connection;
            }
            if (connection != -TtyLibc.EAGAIN && connection != -TtyLibc.EINTR) {
                throw libc.failure("accept on console socket " + path, connection);
            }
        }
    }

    private PtyMaster receive(int connection, long deadline, Duration timeout) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(NAME_BYTES);
            MemorySegment iov = arena.allocate(16, 8);
            iov.set(ADDRESS, 0, data);
            iov.set(JAVA_LONG, 8, NAME_BYTES);
            long controlBytes = CMSG_HEADER + align(MAX_FDS * 4L);
            MemorySegment control = arena.allocate(controlBytes, 8);
            MemorySegment message = arena.allocate(MSGHDR_BYTES, 8);
            while (true) {
                await(connection, deadline, "the peer of console socket " + path + " sent no terminal within " + timeout);
                message.fill((byte) 0);
                message.set(ADDRESS, 16, iov);
                message.set(JAVA_LONG, 24, 1L);
                message.set(ADDRESS, 32, control);
                message.set(JAVA_LONG, 40, controlBytes);
                long n = libc.recvmsg(connection, message, TtyLibc.MSG_CMSG_CLOEXEC);
                if (n == -TtyLibc.EAGAIN || n == -TtyLibc.EINTR) {
                    continue;
                }
                if (n < 0) {
                    throw libc.failure("receive on console socket " + path, (int) n);
                }
                List<Integer> fds = receivedFds(control, message.get(JAVA_LONG, 40));
                boolean truncated = (message.get(JAVA_INT, 48) & TtyLibc.MSG_CTRUNC) != 0;
                if (fds.size() == 1 && !truncated) {
                    String name = new String(data.asSlice(0, n).toArray(JAVA_BYTE), StandardCharsets.UTF_8);
                    return PtyMaster.adopt(libc, fdLibc, fds.getFirst(), name);
                }
                fds.forEach(libc::close);
                if (n == 0) {
                    throw new IOException("the peer of console socket " + path + " hung up without sending a terminal");
                }
                if (!fds.isEmpty() || truncated) {
                    throw new IOException("the peer of console socket " + path + " sent "
                            + (truncated ? "more than " + MAX_FDS : fds.size()) + " fds instead of one terminal");
                }
                // Payload without an fd: runc sends the fd with the first byte, so this is no runc.
                throw new IOException("the peer of console socket " + path + " sent data without a terminal fd");
            }
        }
    }

    /** The fds of every SCM_RIGHTS message in a control buffer of {@code length} bytes. */
    private static List<Integer> receivedFds(MemorySegment control, long length) {
        List<Integer> fds = new ArrayList<>();
        long offset = 0;
        while (offset + CMSG_HEADER <= length) {
            long cmsgLength = control.get(JAVA_LONG, offset);
            if (cmsgLength < CMSG_HEADER || offset + cmsgLength > length) {
                break;
            }
            int level = control.get(JAVA_INT, offset + 8);
            int type = control.get(JAVA_INT, offset + 12);
            if (level == TtyLibc.SOL_SOCKET && type == TtyLibc.SCM_RIGHTS) {
                for (long at = offset + CMSG_HEADER; at + 4 <= offset + cmsgLength; at += 4) {
                    fds.add(control.get(JAVA_INT, at));
                }
            }
            offset += align(cmsgLength);
        }
        return fds;
    }

    private static long align(long length) {
        return (length + 7) & ~7L;
    }

    /** Polls {@code fd} for input until {@code deadline}; an IOException saying {@code timeoutMessage} after it. */
    private void await(int fd, long deadline, String timeoutMessage) throws IOException {
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IOException(timeoutMessage);
            }
            int millis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, left / 1_000_000));
            int revents = libc.pollOne(fd, TtyLibc.POLLIN, millis);
            if (revents == -TtyLibc.EINTR || revents == 0) {
                continue;
            }
            if (revents < 0) {
                throw libc.failure("poll console socket " + path, revents);
            }
            return;
        }
    }

    private int listeningFd() throws IOException {
        if (listening < 0) {
            throw new IOException("console socket " + path + " is closed");
        }
        return listening;
    }

    /** Stops listening and removes the socket file. Idempotent. */
    @Override
    public void close() throws IOException {
        if (listening >= 0) {
            libc.close(listening);
            listening = -1;
            Files.deleteIfExists(path);
        }
    }

    @Override
    public String toString() {
        return "console socket " + path;
    }
}
