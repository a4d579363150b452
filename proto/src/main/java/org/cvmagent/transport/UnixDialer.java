package org.cvmagent.transport;

import java.io.IOException;
import java.io.InterruptedIOException;
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
        while (true) {
            SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                try (TimedChannelIo io = new TimedChannelIo(channel, address.toString(), deadline)) {
                    io.connect(UnixDomainSocketAddress.of(address.path()));
                }
                return new ChannelConnection(channel, address.toString());
            } catch (IOException | RuntimeException e) {
                channel.close();
                // A unix socket whose accept backlog is full refuses at once with EAGAIN instead of
                // queueing; the listener is alive, so wait for room until the deadline.
                if (backlogFull(e) && System.nanoTime() < deadline) {
                    sleepBriefly();
                    continue;
                }
                throw DialFailures.of(address.toString(), e);
            }
        }
    }

    private static boolean backlogFull(Exception e) {
        return e instanceof IOException && e.getMessage() != null
                && e.getMessage().contains("Resource temporarily unavailable");
    }

    private static void sleepBriefly() throws IOException {
        try {
            Thread.sleep(5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for room in the accept backlog");
        }
    }

    @Override
    public String address() {
        return address.toString();
    }
}
