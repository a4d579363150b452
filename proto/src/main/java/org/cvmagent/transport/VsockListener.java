package org.cvmagent.transport;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Listens on an AF_VSOCK port, through the FFM API.
 *
 * <p>{@link #accept()} and the accepted connections' reads block in {@code poll(2)}, a native call
 * that pins a virtual thread to its carrier: call them from platform threads. {@link #close()}
 * wakes a blocked {@code accept()} (shutdown(2) would not, on AF_VSOCK).
 */
final class VsockListener implements Listener {

    private static final int BACKLOG = 1024; // the kernel clamps it to net.core.somaxconn

    private final Libc libc;
    private final NativeFd fd;
    private final AgentAddress.Vsock address;
    private final AtomicLong accepted = new AtomicLong();

    private VsockListener(Libc libc, NativeFd fd, AgentAddress.Vsock address) {
        this.libc = libc;
        this.fd = fd;
        this.address = address;
    }

    /**
     * Binds and listens. With {@link AgentAddress.Vsock#PORT_ANY} the kernel picks the port, and
     * {@link #address()} reports it.
     */
    static VsockListener bind(Libc libc, AgentAddress.Vsock requested) throws IOException {
        int raw = libc.socket(Libc.AF_VSOCK, Libc.SOCK_STREAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
        if (raw < 0) {
            throw libc.failure("socket(AF_VSOCK) for " + requested, raw);
        }
        NativeFd fd = NativeFd.adopt(libc, raw, true, requested.toString(), () -> { });
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = VsockSockaddr.of(arena, requested.cid(), requested.port());
            check(libc, fd.call(s -> libc.bind(s, address)), "bind " + requested);
            check(libc, fd.call(s -> libc.listen(s, BACKLOG)), "listen on " + requested);
            MemorySegment bound = VsockSockaddr.empty(arena);
            check(libc, fd.call(s -> libc.getsockname(s, bound)), "getsockname of " + requested);
            return new VsockListener(libc, fd, new AgentAddress.Vsock(requested.cid(), VsockSockaddr.port(bound)));
        } catch (IOException | RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    @Override
    public Connection accept() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment peer = VsockSockaddr.empty(arena);
            while (true) {
                int raw = fd.call(s -> libc.accept4(s, peer, Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC));
                if (raw >= 0) {
                    String description = address + "#" + accepted.incrementAndGet()
                            + " from " + new AgentAddress.Vsock(VsockSockaddr.cid(peer), VsockSockaddr.port(peer));
                    return new NativeConnection(NativeFd.adopt(libc, raw, true, description, () -> { }));
                }
                // EAGAIN: nothing pending yet; ECONNABORTED: a peer gave up before we took it.
                if (raw != -Libc.EAGAIN && raw != -Libc.EINTR && raw != -Libc.ECONNABORTED) {
                    throw libc.failure("accept on " + address, raw);
                }
                fd.await(Libc.POLLIN, -1);
            }
        }
    }

    @Override
    public String address() {
        return address.toString();
    }

    @Override
    public boolean isClosed() {
        return fd.isClosed();
    }

    @Override
    public void close() {
        fd.close();
    }

    @Override
    public String toString() {
        return "VsockListener[" + address + "]";
    }

    private static void check(Libc libc, int result, String what) throws IOException {
        if (result < 0) {
            throw libc.failure(what, result);
        }
    }
}
