package org.cvmagent.transport;

import java.time.Duration;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TransportsTest {

    private final Transports transports = new Transports();

    @Test
    void choosesTheDialerByScheme() throws Exception {
        assertInstanceOf(VsockDialer.class, transports.dialer(AgentAddress.parse("vsock://3:1024")));
        assertInstanceOf(UnixDialer.class, transports.dialer(AgentAddress.parse("unix:///run/a.sock")));
        assertInstanceOf(TcpDialer.class, transports.dialer(AgentAddress.parse("tcp://127.0.0.1:1")));
        assertInstanceOf(HybridVsockDialer.class, transports.dialer(AgentAddress.parse("hvsock:///run/a.hvsock:1024")));
        assertEquals("hvsock:///run/a.hvsock:1024",
                transports.dialer(AgentAddress.parse("hvsock:///run/a.hvsock:1024")).address());
    }

    @Test
    void serialHasNoDialer() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> transports.dial(
                AgentAddress.parse("serial:///dev/virtio-ports/agent.channel.0"), Duration.ofSeconds(1)));
        assertTrue(e.getMessage().startsWith("cannot dial serial:///dev/virtio-ports/agent.channel.0"), e.getMessage());
    }

    @Test
    void hybridVsockIsNotListenedOnInTheGuest() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> transports.listen(AgentAddress.parse("hvsock:///run/a.hvsock:1024")));
        assertTrue(e.getMessage().contains("listen on vsock://"), e.getMessage());
    }

    @Test
    void timeoutsMustBePositive() {
        AgentAddress address = AgentAddress.parse("unix:///run/absent.sock");
        assertThrows(IllegalArgumentException.class, () -> transports.dial(address, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> transports.dial(address, Duration.ofSeconds(-1)));
    }
}
