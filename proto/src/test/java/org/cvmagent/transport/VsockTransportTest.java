package org.cvmagent.transport;

import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * AF_VSOCK through FFM. This machine has the vsock core but no loopback transport, so traffic
 * over vsock is exercised with socket pairs in {@link NativeConnectionTest} instead.
 */
class VsockTransportTest {

    private final Libc libc = Libc.load();
    private final Transports transports = new Transports(libc);

    @Test
    void createsAnAfVsockSocket() {
        int fd = libc.socket(Libc.AF_VSOCK, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0);
        assertTrue(fd >= 0, "socket(AF_VSOCK) failed: " + (fd < 0 ? libc.strerror(-fd) : ""));
        assertEquals(0, libc.close(fd));
    }

    @Test
    void listensOnAnyCidAndReportsTheKernelChosenPort() throws Exception {
        try (Listener listener = transports.listen(
                new AgentAddress.Vsock(AgentAddress.Vsock.CID_ANY, AgentAddress.Vsock.PORT_ANY))) {
            AgentAddress.Vsock bound = (AgentAddress.Vsock) AgentAddress.parse(listener.address());
            assertEquals(AgentAddress.Vsock.CID_ANY, bound.cid());
            assertNotEquals(AgentAddress.Vsock.PORT_ANY, bound.port());
            assertTrue(listener.address().startsWith("vsock://-1:"), listener.address());
            assertFalse(listener.isClosed());
        }
    }

    @Test
    void bindingABusyPortFailsWithTheErrnoText() throws Exception {
        try (Listener first = transports.listen(
                new AgentAddress.Vsock(AgentAddress.Vsock.CID_ANY, AgentAddress.Vsock.PORT_ANY))) {
            AgentAddress busy = AgentAddress.parse(first.address());
            IOException e = assertThrows(IOException.class, () -> transports.listen(busy));
            assertEquals("bind " + busy + ": Address already in use (errno 98)", e.getMessage());
        }
    }

    @Test
    void listensOnAFixedPort() throws Exception {
        AgentAddress address = AgentAddress.parse("vsock://-1:47123");
        try (Listener listener = transports.listen(address)) {
            assertEquals("vsock://-1:47123", listener.address());
        }
    }

    @Test
    void closingTheListenerUnblocksAccept() throws Exception {
        ConnectionChecks.assertCloseUnblocksAccept(transports.listen(
                new AgentAddress.Vsock(AgentAddress.Vsock.CID_ANY, AgentAddress.Vsock.PORT_ANY)));
    }

    @Test
    void dialingACidWithNothingThereFailsClearly() {
        // CID 1 is the loopback CID; without the vsock_loopback transport the kernel hands the
        // request to the hypervisor, which has nothing there either, and the attempt fails or times out.
        AgentAddress address = AgentAddress.parse("vsock://1:47124");
        IOException e = assertThrows(IOException.class, () -> transports.dial(address, Duration.ofSeconds(5)));
        assertTrue(e.getMessage().contains(address.toString()), e.getMessage());
        assertTrue(e.getMessage().matches(".*(\\(errno \\d+\\)|timed out after \\d+ ms).*"), e.getMessage());
    }
}
