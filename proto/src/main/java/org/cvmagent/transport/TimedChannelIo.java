package org.cvmagent.transport;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;

/**
 * Connect, write and read on a {@link SocketChannel} against a deadline, which blocking channels
 * cannot do for unix sockets. The channel is switched to non-blocking for the operation and back
 * to blocking afterwards.
 */
final class TimedChannelIo implements AutoCloseable {

    private final SocketChannel channel;
    private final String peer;
    private final long deadlineNanos;
    private final Selector selector;

    TimedChannelIo(SocketChannel channel, String peer, long deadlineNanos) throws IOException {
        this.channel = channel;
        this.peer = peer;
        this.deadlineNanos = deadlineNanos;
        channel.configureBlocking(false);
        this.selector = Selector.open();
    }

    void connect(SocketAddress address) throws IOException {
        if (channel.connect(address)) {
            return;
        }
        SelectionKey key = channel.register(selector, SelectionKey.OP_CONNECT);
        while (!channel.finishConnect()) {
            waitFor(key, "connecting to");
        }
        key.interestOps(0);
    }

    void writeFully(ByteBuffer data) throws IOException {
        SelectionKey key = channel.register(selector, SelectionKey.OP_WRITE);
        while (data.hasRemaining()) {
            if (channel.write(data) == 0) {
                waitFor(key, "writing to");
            }
        }
        key.interestOps(0);
    }

    /**
     * Reads one line ending in {@code '\n'} byte by byte, so that nothing after it is consumed.
     *
     * @return the line without its terminator
     */
    String readLine(int maxLength) throws IOException {
        SelectionKey key = channel.register(selector, SelectionKey.OP_READ);
        StringBuilder line = new StringBuilder();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (true) {
            one.clear();
            int n = channel.read(one);
            if (n < 0) {
                throw new EOFException(peer + " closed the connection after sending '" + printable(line) + "'");
            }
            if (n == 0) {
                waitFor(key, "reading from");
                continue;
            }
            char c = (char) (one.get(0) & 0xFF);
            if (c == '\n') {
                key.interestOps(0);
                return line.toString();
            }
            if (line.length() == maxLength) {
                throw new IOException(peer + " sent a line longer than " + maxLength
                        + " bytes: '" + printable(line) + "...'");
            }
            line.append(c);
        }
    }

    /** Control and non-ASCII characters as \\xNN, so that a peer's garbage cannot mangle a log line. */
    static String printable(CharSequence text) {
        StringBuilder out = new StringBuilder();
        text.chars().forEach(c -> {
            if (c >= 0x20 && c < 0x7F && c != '\\') {
                out.append((char) c);
            } else {
                out.append(String.format("\\x%02x", c));
            }
        });
        return out.toString();
    }

    private void waitFor(SelectionKey key, String doing) throws IOException {
        long remaining = deadlineNanos - System.nanoTime();
        if (remaining <= 0) {
            throw new SocketTimeoutException("timed out " + doing + " " + peer);
        }
        selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(remaining)));
        selector.selectedKeys().remove(key);
    }

    @Override
    public void close() throws IOException {
        // Deregistering happens when the selector closes; only then may the channel block again.
        selector.close();
        if (channel.isOpen()) {
            channel.configureBlocking(true);
        }
    }
}
