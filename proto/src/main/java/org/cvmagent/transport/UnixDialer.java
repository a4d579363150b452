package org.cvmagent.transport;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Objects;

/** Connects to a unix domain socket. */
final class UnixDialer implements Dialer {

    private final AgentAddress.Unix address;

    UnixDialer(AgentAddress.Unix address) {
        this.address = Objects.requireNonNull(address, "address");
    }

    @Override
    public Connection dial(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + Timeouts.millis(timeout) * 1_000_000L;
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            try (TimedChannelIo io = new TimedChannelIo(channel, address.toString(), deadline)) {
                io.connect(UnixDomainSocketAddress.of(address.path()));
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
