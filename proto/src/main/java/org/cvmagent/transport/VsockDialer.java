package org.cvmagent.transport;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Objects;

/**
 * Connects to an AF_VSOCK address through the FFM API. The connection's blocking reads pin a
 * virtual thread's carrier (see {@link NativeConnection}). The kernel abandons a vsock connect
 * after its own timeout (SO_VM_SOCKETS_CONNECT_TIMEOUT, 2 s by default), so a longer timeout here
 * does not make one attempt wait longer.
 */
final class VsockDialer implements Dialer {

    private final Libc libc;
    private final AgentAddress.Vsock address;

    VsockDialer(Libc libc, AgentAddress.Vsock address) {
        this.libc = Objects.requireNonNull(libc, "libc");
        this.address = Objects.requireNonNull(address, "address");
    }

    @Override
    public Connection dial(Duration timeout) throws IOException {
        int millis = Timeouts.millis(timeout);
        int raw = libc.socket(Libc.AF_VSOCK, Libc.SOCK_STREAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
        if (raw < 0) {
            throw libc.failure("socket(AF_VSOCK) to connect to " + address, raw);
        }
        NativeFd fd = NativeFd.adopt(libc, raw, true, address.toString(), () -> { });
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment target = VsockSockaddr.of(arena, address.cid(), address.port());
            int result = fd.call(s -> libc.connect(s, target));
            if (result == -Libc.EINPROGRESS) {
                if (fd.await(Libc.POLLOUT, millis) == 0) {
                    throw new SocketTimeoutException("timed out after " + millis + " ms connecting to " + address);
                }
                int error = fd.call(libc::socketError);
                result = error > 0 ? -error : error;
            }
            if (result == -Libc.ETIMEDOUT) {
                // The kernel's own vsock connect timeout (2 s by default) can end the attempt first.
                throw new SocketTimeoutException(libc.failure("connect to " + address, result).getMessage());
            }
            if (result < 0) {
                throw libc.failure("connect to " + address, result);
            }
            return new NativeConnection(fd);
        } catch (IOException | RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    @Override
    public String address() {
        return address.toString();
    }
}
