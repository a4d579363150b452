package org.cvmagent.transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;

/**
 * Listens on TCP, optionally with TLS (mutual TLS when the {@link TlsConfig} requires client
 * certificates). The TLS handshake runs on the first read or write of an accepted connection, so a
 * slow or hostile client never holds up {@link #accept()}; a client that fails verification makes
 * that first read fail.
 */
final class TcpListener implements Listener {

    private static final int BACKLOG = 1024; // the kernel clamps it to net.core.somaxconn

    private final ServerSocket socket;
    private final AgentAddress.Tcp address;
    private final AtomicLong accepted = new AtomicLong();

    private TcpListener(ServerSocket socket, AgentAddress.Tcp address) {
        this.socket = socket;
        this.address = address;
    }

    /** Plain TCP. Port 0 lets the system choose; {@link #address()} reports the port bound. */
    static TcpListener bind(AgentAddress.Tcp address) throws IOException {
        return bind(address, new ServerSocket());
    }

    static TcpListener bind(AgentAddress.Tcp address, TlsConfig tls) throws IOException {
        SSLContext context = TlsContexts.server(Objects.requireNonNull(tls, "tls"));
        SSLServerSocket socket = (SSLServerSocket) context.getServerSocketFactory().createServerSocket();
        try {
            SSLParameters parameters = TlsContexts.parameters(context, false);
            if (tls.needClientAuth()) {
                parameters.setNeedClientAuth(true);
            } else if (tls.trustedCaPem() != null) {
                parameters.setWantClientAuth(true);
            }
            socket.setSSLParameters(parameters);
        } catch (RuntimeException e) {
            socket.close();
            throw e;
        }
        return bind(address, socket);
    }

    private static TcpListener bind(AgentAddress.Tcp address, ServerSocket socket) throws IOException {
        try {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(address.host(), address.port()), BACKLOG);
            return new TcpListener(socket, new AgentAddress.Tcp(address.host(), socket.getLocalPort()));
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw new IOException("cannot listen on " + address + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Connection accept() throws IOException {
        Socket peer = socket.accept();
        try {
            // ttRPC sends small frames that must not wait for Nagle's algorithm.
            peer.setTcpNoDelay(true);
        } catch (IOException e) {
            peer.close();
            throw e;
        }
        return new SocketConnection(peer, address + "#" + accepted.incrementAndGet()
                + " from " + peer.getRemoteSocketAddress());
    }

    @Override
    public String address() {
        return address.toString();
    }

    @Override
    public boolean isClosed() {
        return socket.isClosed();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    @Override
    public String toString() {
        return "TcpListener[" + address + "]";
    }
}
