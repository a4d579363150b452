package org.cvmagent.transport;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AgentAddressTest {

    @Test
    void defaultAgentAddressIsAnyCidPort1024() {
        AgentAddress address = AgentAddress.parse(AgentAddress.DEFAULT);
        assertEquals(new AgentAddress.Vsock(AgentAddress.Vsock.CID_ANY, 1024), address);
        assertEquals(0xFFFFFFFF, ((AgentAddress.Vsock) address).cid());
        assertEquals("vsock://-1:1024", address.toString());
    }

    @Test
    void parsesEachScheme() {
        assertEquals(new AgentAddress.Vsock(3, 1024), AgentAddress.parse("vsock://3:1024"));
        assertEquals(new AgentAddress.Unix(Path.of("/run/kata-containers/agent.sock")),
                AgentAddress.parse("unix:///run/kata-containers/agent.sock"));
        assertEquals(new AgentAddress.Serial(Path.of("/dev/virtio-ports/agent.channel.0")),
                AgentAddress.parse("serial:///dev/virtio-ports/agent.channel.0"));
        assertEquals(new AgentAddress.Tcp("0.0.0.0", 15150), AgentAddress.parse("tcp://0.0.0.0:15150"));
        assertEquals(new AgentAddress.Tcp("::1", 15150), AgentAddress.parse("tcp://[::1]:15150"));
        assertEquals(new AgentAddress.Tcp("agent.example", 80), AgentAddress.parse("tcp://agent.example:80"));
        assertEquals(new AgentAddress.HybridVsock(Path.of("/run/vc/firecracker/abc/root/kata.hvsock"), 1024),
                AgentAddress.parse("hvsock:///run/vc/firecracker/abc/root/kata.hvsock:1024"));
    }

    @Test
    void vsockValuesAreUnsigned32Bit() {
        AgentAddress.Vsock max = (AgentAddress.Vsock) AgentAddress.parse("vsock://4294967294:4294967295");
        assertEquals(0xFFFFFFFE, max.cid());
        assertEquals(0xFFFFFFFF, max.port());
        assertEquals("vsock://4294967294:4294967295", max.toString());
        // 2^32 - 1 is VMADDR_CID_ANY, which prints in kata's -1 form.
        assertEquals("vsock://-1:1", AgentAddress.parse("vsock://4294967295:1").toString());
    }

    @ParameterizedTest
    @CsvSource({
        "vsock://-1:1024, vsock://-1:1024",
        "VSOCK://2:1024, vsock://2:1024",
        "vsock://0007:01024, vsock://7:1024",
        "unix:///run/a.sock, unix:///run/a.sock",
        "serial:///dev/virtio-ports/agent.channel.0, serial:///dev/virtio-ports/agent.channel.0",
        "tcp://127.0.0.1:0, tcp://127.0.0.1:0",
        "tcp://[fe80::1]:15150, tcp://[fe80::1]:15150",
        "Tcp://localhost:65535, tcp://localhost:65535",
        "hvsock:///run/kata.hvsock:1024, hvsock:///run/kata.hvsock:1024",
    })
    void toStringIsCanonicalAndParsesBack(String text, String canonical) {
        AgentAddress address = AgentAddress.parse(text);
        assertEquals(canonical, address.toString());
        assertEquals(address, AgentAddress.parse(address.toString()));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''                               | has no scheme",
        "/run/agent.sock                  | has no scheme",
        "://x                             | has no scheme",
        "http://x:1                       | unknown scheme 'http'",
        "vsock://1024                     | vsock://<cid>:<port>",
        "vsock://-1:1024:5                | vsock://<cid>:<port>",
        "vsock://:1024                    | empty vsock cid",
        "vsock://-1:                      | empty vsock port",
        "vsock://-2:1024                  | vsock cid '-2'",
        "vsock://x:1024                   | vsock cid 'x'",
        "vsock://3:+1024                  | vsock port '+1024'",
        "vsock://4294967296:1             | larger than 4294967295",
        "vsock://3:99999999999            | vsock port '99999999999'",
        "unix://                          | empty socket path",
        "unix://run/a.sock                | absolute socket path",
        "unix://@agent                    | abstract unix socket",
        "serial://dev/ttyS0               | absolute device path",
        "tcp://localhost                  | tcp://<host>:<port>",
        "tcp://:15150                     | empty host",
        "tcp://::1:15150                  | IPv6 host outside brackets",
        "tcp://[::1]15150                 | tcp://[<ipv6>]:<port>",
        "tcp://[127.0.0.1]:1              | not an IPv6 literal",
        "tcp://host:65536                 | larger than 65535",
        "tcp://host:-1                    | tcp port '-1'",
        "tcp://a/b:1                      | invalid host 'a/b'",
        "hvsock:///run/kata.hvsock        | hvsock://<absolute unix socket path>:<port>",
        "hvsock:///run/kata.hvsock:       | empty hvsock port",
        "hvsock://kata.hvsock:1024        | absolute socket path",
        "hvsock:///run/a:b/kata.hvsock:1  | ':' in its socket path",
    })
    void rejectsInvalidAddressesSayingWhy(String text, String expectedProblem) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AgentAddress.parse(text));
        assertTrue(e.getMessage().contains(expectedProblem),
                "message '" + e.getMessage() + "' should mention '" + expectedProblem + "'");
        assertTrue(e.getMessage().contains("'" + text + "'"), "message should quote the input: " + e.getMessage());
    }

    @Test
    void rejectsWhitespace() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AgentAddress.parse("vsock://-1:1024 "));
        assertTrue(e.getMessage().contains("whitespace"), e.getMessage());
    }

    @Test
    void recordsValidateDirectConstruction() {
        assertThrows(IllegalArgumentException.class, () -> new AgentAddress.Unix(Path.of("relative.sock")));
        assertThrows(IllegalArgumentException.class, () -> new AgentAddress.Tcp("host", 70000));
        assertThrows(IllegalArgumentException.class, () -> new AgentAddress.HybridVsock(Path.of("/a:b"), 1));
        assertThrows(NullPointerException.class, () -> AgentAddress.parse(null));
    }
}
