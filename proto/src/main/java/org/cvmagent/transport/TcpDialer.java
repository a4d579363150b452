package org.cvmagent.transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Objects;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * Connects over TCP, optionally with TLS: the server's certificate must chain to the configured CA
 * and match the host dialed, and the handshake completes within the timeout.
 */
final class TcpDialer implements Dialer {

    private final AgentAddress.Tcp address;
    private final SSLContext tls;

    /** Plain TCP. */
    TcpDialer(AgentAddress.Tcp address) {
        this.address = Objects.requireNonNull(address, "address");
        this.tls = null;
    }

    TcpDialer(AgentAddress.Tcp address, TlsConfig tls) throws IOException {
        this.address = Objects.requireNonNull(address, "address");
        this.tls = TlsContexts.client(Objects.requireNonNull(tls, "tls"));
    }

    @Override
    public Connection dial(Duration timeout) throws IOException {
        int millis = Timeouts.millis(timeout);
        long deadline = System.nanoTime() + millis * 1_000_000L;
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(address.host(), address.port()), millis);
            if (tls != null) {
                socket = handshake(socket, deadline);
            }
            return new SocketConnection(socket, address + " from " + socket.getLocalSocketAddress());
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw DialFailures.of(address.toString(), e);
        }
    }

    private Socket handshake(Socket plain, long deadline) throws IOException {
        SSLSocket secure = (SSLSocket) tls.getSocketFactory().createSocket(plain, address.host(), address.port(), true);
        secure.setSSLParameters(TlsContexts.parameters(tls, true));
        long remainingMillis = Math.max(1, (deadline - System.nanoTime()) / 1_000_000L);
        secure.setSoTimeout((int) Math.min(Integer.MAX_VALUE, remainingMillis));
        secure.startHandshake();
        secure.setSoTimeout(0);
        return secure;
    }

    @Override
    public String address() {
        return address.toString();
    }
}
