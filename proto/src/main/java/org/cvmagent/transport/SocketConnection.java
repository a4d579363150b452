package org.cvmagent.transport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.Objects;

/**
 * A {@link Connection} over a JDK {@link Socket}: plain TCP or TLS. Closing the socket wakes a
 * blocked reader with a {@link java.net.SocketException}.
 */
final class SocketConnection implements Connection {

    private final Socket socket;
    private final String description;

    SocketConnection(Socket socket, String description) {
        this.socket = Objects.requireNonNull(socket, "socket");
        this.description = Objects.requireNonNull(description, "description");
    }

    @Override
    public InputStream input() throws IOException {
        return socket.getInputStream();
    }

    @Override
    public OutputStream output() throws IOException {
        return socket.getOutputStream();
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    @Override
    public String toString() {
        return description;
    }
}
