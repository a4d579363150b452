package org.cvmagent.transport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.util.Objects;

/**
 * A {@link Connection} over a blocking JDK {@link SocketChannel} (unix domain sockets). The JDK's
 * socket-channel streams read and write concurrently, and closing the channel wakes a blocked
 * reader with an {@link java.nio.channels.AsynchronousCloseException}.
 */
final class ChannelConnection implements Connection {

    private final SocketChannel channel;
    private final String description;
    private final InputStream input;
    private final OutputStream output;

    ChannelConnection(SocketChannel channel, String description) {
        this.channel = Objects.requireNonNull(channel, "channel");
        if (!channel.isBlocking()) {
            throw new IllegalArgumentException("channel for " + description + " must be in blocking mode");
        }
        this.description = Objects.requireNonNull(description, "description");
        this.input = Channels.newInputStream(channel);
        this.output = Channels.newOutputStream(channel);
    }

    @Override
    public InputStream input() {
        return input;
    }

    @Override
    public OutputStream output() {
        return output;
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    @Override
    public String toString() {
        return description;
    }
}
