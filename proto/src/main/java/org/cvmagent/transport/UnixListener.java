package org.cvmagent.transport;

import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Listens on a unix domain socket with the JDK's own {@link UnixDomainSocketAddress}.
 *
 * <p>A socket file left behind by a process that died is removed before binding; a file that is
 * not a socket, or a socket someone still listens on, is left alone and binding fails. The socket
 * is made mode 0600, and on close the file is removed if it is still the one we bound.
 */
final class UnixListener implements Listener {

    /** Room for a burst of connections while the accept loop is busy; the kernel clamps it. */
    private static final int BACKLOG = 1024;

    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private final ServerSocketChannel channel;
    private final AgentAddress.Unix address;
    private final Object socketFileKey;
    private final AtomicLong accepted = new AtomicLong();

    private UnixListener(ServerSocketChannel channel, AgentAddress.Unix address, Object socketFileKey) {
        this.channel = channel;
        this.address = address;
        this.socketFileKey = socketFileKey;
    }

    static UnixListener bind(AgentAddress.Unix address) throws IOException {
        Objects.requireNonNull(address, "address");
        Path path = address.path();
        Path parent = path.getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        removeStaleSocket(path);
        ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.bind(UnixDomainSocketAddress.of(path), BACKLOG);
            // Between bind and chmod the file has the umask's mode; with the usual umask 022 only the
            // owner could connect meanwhile, and connecting needs write permission.
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
            Object key = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            return new UnixListener(channel, address, key);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private static void removeStaleSocket(Path path) throws IOException {
        int mode;
        try {
            mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return;
        }
        if ((mode & S_IFMT) != S_IFSOCK) {
            throw new IOException("cannot listen on " + path + ": it exists and is not a socket");
        }
        boolean listenedOn;
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            listenedOn = probe.isConnected();
        } catch (ConnectException e) {
            // Connection refused: nobody listens, so the file is a leftover of a dead process.
            listenedOn = false;
        }
        if (listenedOn) {
            throw new IOException("cannot listen on " + path + ": another process is listening on it");
        }
        Files.deleteIfExists(path);
    }

    @Override
    public Connection accept() throws IOException {
        SocketChannel peer = channel.accept();
        return new ChannelConnection(peer, address + "#" + accepted.incrementAndGet());
    }

    @Override
    public String address() {
        return address.toString();
    }

    @Override
    public boolean isClosed() {
        return !channel.isOpen();
    }

    @Override
    public void close() throws IOException {
        if (!channel.isOpen()) {
            return;
        }
        channel.close();
        removeOwnSocketFile();
    }

    /** Removes the socket file unless someone has replaced it since we bound it. */
    private void removeOwnSocketFile() throws IOException {
        Path path = address.path();
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return;
        }
        if (Objects.equals(attributes.fileKey(), socketFileKey)) {
            Files.deleteIfExists(path);
        }
    }

    @Override
    public String toString() {
        return "UnixListener[" + address + "]";
    }
}
