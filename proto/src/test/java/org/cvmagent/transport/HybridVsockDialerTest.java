package org.cvmagent.transport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.cvmagent.transport.ConnectionChecks.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Dials a fake VMM socket that speaks (or garbles) Firecracker's CONNECT/OK handshake. */
class HybridVsockDialerTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private final Transports transports = new Transports();

    @Test
    void sendsConnectAndThenCarriesTheStream() throws Exception {
        Path socket = dir.resolve("kata.hvsock");
        AgentAddress address = AgentAddress.parse("hvsock://" + socket + ":1024");
        try (Listener vmm = transports.listen(new AgentAddress.Unix(socket));
             TestThreads threads = new TestThreads(1)) {
            Future<String> vmmSide = threads.submit(() -> {
                try (Connection guest = vmm.accept()) {
                    String request = readLine(guest.input());
                    // The agent's first bytes follow the reply at once; the dialer must not eat them.
                    guest.output().write("OK 1073741824\nfrom guest".getBytes(StandardCharsets.US_ASCII));
                    byte[] fromHost = guest.input().readNBytes(9);
                    return request + "|" + new String(fromHost, StandardCharsets.US_ASCII);
                }
            });
            try (Connection connection = transports.dial(address, TIMEOUT)) {
                assertEquals(address.toString(), connection.describe());
                assertArrayEquals("from guest".getBytes(StandardCharsets.US_ASCII),
                        connection.input().readNBytes(10));
                connection.output().write("from host".getBytes(StandardCharsets.US_ASCII));
                assertEquals("CONNECT 1024|from host", await(vmmSide));
            }
        }
    }

    @Test
    void garbageReplyIsAClearError() throws Exception {
        IOException e = dialAgainst("HTTP/1.1 400 Bad Request\r\n", false);
        assertTrue(e.getMessage().contains("expected 'OK <port>' in reply to CONNECT 1024"), e.getMessage());
        assertTrue(e.getMessage().contains("the peer said 'HTTP/1.1 400 Bad Request\\x0d'"), e.getMessage());
    }

    @Test
    void peerHangingUpDuringHandshakeIsAClearError() throws Exception {
        IOException e = dialAgainst("OK", true);
        assertTrue(e.getMessage().contains("closed the connection after sending 'OK'"), e.getMessage());
    }

    @Test
    void silentPeerTimesOut() throws Exception {
        Path socket = dir.resolve("kata.hvsock");
        try (Listener vmm = transports.listen(new AgentAddress.Unix(socket));
             TestThreads threads = new TestThreads(1)) {
            Future<Connection> accepted = threads.submit(vmm::accept);
            IOException e = assertThrows(IOException.class, () ->
                    transports.dial(new AgentAddress.HybridVsock(socket, 1024), Duration.ofMillis(300)));
            assertInstanceOf(SocketTimeoutException.class, e);
            assertTrue(e.getMessage().contains("timed out reading from " + socket), e.getMessage());
            await(accepted).close();
        }
    }

    @Test
    void missingSocketIsAClearError() {
        AgentAddress address = new AgentAddress.HybridVsock(dir.resolve("absent.hvsock"), 1024);
        IOException e = assertThrows(IOException.class, () -> transports.dial(address, TIMEOUT));
        assertTrue(e.getMessage().startsWith("cannot connect to " + address), e.getMessage());
    }

    /** The fake VMM answers {@code reply} verbatim, then hangs up at once or waits for the dialer to. */
    private IOException dialAgainst(String reply, boolean hangUp) throws Exception {
        Path socket = dir.resolve("kata.hvsock");
        try (Listener vmm = transports.listen(new AgentAddress.Unix(socket));
             TestThreads threads = new TestThreads(1)) {
            Future<String> vmmSide = threads.submit(() -> {
                try (Connection guest = vmm.accept()) {
                    String request = readLine(guest.input());
                    OutputStream out = guest.output();
                    out.write(reply.getBytes(StandardCharsets.US_ASCII));
                    if (!hangUp) {
                        guest.input().read();
                    }
                    return request;
                }
            });
            IOException e = assertThrows(IOException.class,
                    () -> transports.dial(new AgentAddress.HybridVsock(socket, 1024), TIMEOUT));
            assertEquals("CONNECT 1024", await(vmmSide));
            assertTrue(e.getMessage().startsWith("cannot connect to hvsock://" + socket + ":1024"), e.getMessage());
            return e;
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("end of stream in '" + line + "'");
            }
            line.append((char) c);
        }
        return line.toString();
    }
}
