package org.cvmagent.transport;

import java.io.IOException;
import java.time.Duration;
import java.util.Objects;

/**
 * Opens listeners and dialers for {@link AgentAddress}es, choosing the transport by scheme.
 *
 * <p>vsock and serial transports block in native calls that pin virtual threads to their carriers:
 * accept and read on them from platform threads.
 */
public final class Transports {

    private final Libc libc;

    /** Uses the C library the JVM runs on for the vsock and serial transports. */
    public Transports() {
        this(Libc.load());
    }

    Transports(Libc libc) {
        this.libc = Objects.requireNonNull(libc, "libc");
    }

    /** Listens without TLS. */
    public Listener listen(AgentAddress address) throws IOException {
        Objects.requireNonNull(address, "address");
        return switch (address) {
            case AgentAddress.Vsock vsock -> VsockListener.bind(libc, vsock);
            case AgentAddress.Unix unix -> UnixListener.bind(unix);
            case AgentAddress.Serial serial -> new SerialListener(libc, serial);
            case AgentAddress.Tcp tcp -> TcpListener.bind(tcp);
            case AgentAddress.HybridVsock hybrid -> throw new IllegalArgumentException("cannot listen on " + hybrid
                    + ": hvsock:// is the host side of a hybrid vsock; inside the guest listen on vsock://");
        };
    }

    /** Listens with TLS, which only {@code tcp://} supports. */
    public Listener listen(AgentAddress address, TlsConfig tls) throws IOException {
        Objects.requireNonNull(tls, "tls");
        if (!(Objects.requireNonNull(address, "address") instanceof AgentAddress.Tcp tcp)) {
            throw new IllegalArgumentException("cannot listen on " + address + " with TLS: only tcp:// supports TLS");
        }
        return TcpListener.bind(tcp, tls);
    }

    /** A dialer without TLS. */
    public Dialer dialer(AgentAddress address) {
        Objects.requireNonNull(address, "address");
        return switch (address) {
            case AgentAddress.Vsock vsock -> new VsockDialer(libc, vsock);
            case AgentAddress.Unix unix -> new UnixDialer(unix);
            case AgentAddress.Tcp tcp -> new TcpDialer(tcp);
            case AgentAddress.HybridVsock hybrid -> new HybridVsockDialer(hybrid);
            case AgentAddress.Serial serial -> throw new IllegalArgumentException("cannot dial " + serial
                    + ": a virtio-serial port is only served inside the guest; the host reaches it through"
                    + " the hypervisor's socket");
        };
    }

    /** A TLS dialer, which only {@code tcp://} supports. */
    public Dialer dialer(AgentAddress address, TlsConfig tls) throws IOException {
        Objects.requireNonNull(tls, "tls");
        if (!(Objects.requireNonNull(address, "address") instanceof AgentAddress.Tcp tcp)) {
            throw new IllegalArgumentException("cannot dial " + address + " with TLS: only tcp:// supports TLS");
        }
        return new TcpDialer(tcp, tls);
    }

    /** Connects once without TLS, within {@code timeout}. */
    public Connection dial(AgentAddress address, Duration timeout) throws IOException {
        return dialer(address).dial(timeout);
    }

    /** Connects once with TLS ({@code tcp://} only), within {@code timeout}. */
    public Connection dial(AgentAddress address, TlsConfig tls, Duration timeout) throws IOException {
        return dialer(address, tls).dial(timeout);
    }
}
