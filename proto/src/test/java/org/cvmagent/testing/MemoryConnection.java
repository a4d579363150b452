package org.cvmagent.testing;

import org.cvmagent.transport.Connection;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.atomic.AtomicInteger;

/** A {@link Connection} over in-memory byte queues, for protocol tests without sockets. */
public final class MemoryConnection implements Connection {

    private static final AtomicInteger IDS = new AtomicInteger();

    private final ByteQueue in;
    private final ByteQueue out;
    private final String name;

    private MemoryConnection(ByteQueue in, ByteQueue out, String name) {
        this.in = in;
        this.out = out;
        this.name = name;
    }

    /** Two connected ends: what one writes, the other reads. */
    public static MemoryConnection[] pair() {
        ByteQueue a = new ByteQueue();
        ByteQueue b = new ByteQueue();
        int id = IDS.incrementAndGet();
        return new MemoryConnection[] {new MemoryConnection(a, b, "memory#" + id + "a"),
                new MemoryConnection(b, a, "memory#" + id + "b")};
    }

    @Override
    public InputStream input() {
        return in.input;
    }

    @Override
    public OutputStream output() {
        return out.output;
    }

    @Override
    public String describe() {
        return name;
    }

    @Override
    public void close() {
        in.closeReader();
        out.closeWriter();
    }
}
