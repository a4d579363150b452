package org.cvmagent.transport;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Connects through a hypervisor's hybrid vsock (Firecracker, Cloud Hypervisor): open the VMM's
 * unix socket, send {@code CONNECT <port>\n}, and expect {@code OK <host port>\n}; after that the
 * stream is a connection to the guest's vsock port.
 */
final class HybridVsockDialer implements Dialer {

    private static final Pattern ACCEPTED = Pattern.compile("OK [0-9]+");
    private static final int MAX_REPLY = 128;

    private final AgentAddress.HybridVsock address;

    HybridVsockDialer(AgentAddress.HybridVsock address) {
        this.address = Objects.requireNonNull(address, "address");
    }

    @Override
    public Connection dial(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + Timeouts.millis(timeout) * 1_000_000L;
        String port = Integer.toUnsignedString(address.port());
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            String reply;
            try (TimedChannelIo io = new TimedChannelIo(channel, address.socketPath().toString(), deadline)) {
                io.connect(UnixDomainSocketAddress.of(address.socketPath()));
                io.writeFully(ByteBuffer.wrap(("CONNECT " + port + "\n").getBytes(StandardCharsets.US_ASCII)));
                reply = io.readLine(MAX_REPLY);
            }
            if (!ACCEPTED.matcher(reply).matches()) {
                throw new IOException("expected 'OK <port>' in reply to CONNECT " + port
                        + " but the peer said '" + TimedChannelIo.printable(reply) + "'");
            }
            return new ChannelConnection(channel, address.toString());
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw DialFailures.of(address.toString(), e);
        }
    }

    @Override
    public String address() {
        return address.toString();
    }
}
