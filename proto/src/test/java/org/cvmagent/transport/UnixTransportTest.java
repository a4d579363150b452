package org.cvmagent.transport;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.cvmagent.transport.ConnectionChecks.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UnixTransportTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private final Transports transports = new Transports();

    @Test
    void roundTripsBytesBothWaysConcurrently() throws Exception {
        AgentAddress address = AgentAddress.parse("unix://" + dir.resolve("agent.sock"));
        try (Listener listener = transports.listen(address);
             TestThreads threads = new TestThreads(1)) {
            assertEquals(address.toString(), listener.address());
            Future<Connection> accepted = threads.submit(listener::accept);
            try (Connection client = transports.dial(address, TIMEOUT);
                 Connection server = await(accepted)) {
                assertTrue(server.describe().startsWith(address + "#1"), server.describe());
                ConnectionChecks.exchange(client, server, 4 * 1024 * 1024);
                ConnectionChecks.assertEndOfStreamAfterPeerCloses(client, server);
            }
        }
    }

    @Test
    void closingTheListenerUnblocksAcceptAndRemovesTheSocketFile() throws Exception {
        Path path = dir.resolve("agent.sock");
        Listener listener = transports.listen(new AgentAddress.Unix(path));
        assertTrue(Files.exists(path));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(path)));
        ConnectionChecks.assertCloseUnblocksAccept(listener);
        assertFalse(Files.exists(path), "socket file should be removed on close");
        listener.close();
    }

    @Test
    void closingAConnectionUnblocksItsReader() throws Exception {
        AgentAddress address = new AgentAddress.Unix(dir.resolve("agent.sock"));
        try (Listener listener = transports.listen(address);
             TestThreads threads = new TestThreads(1)) {
            Future<Connection> accepted = threads.submit(listener::accept);
            try (Connection client = transports.dial(address, TIMEOUT);
                 Connection server = await(accepted)) {
                ConnectionChecks.assertCloseUnblocksRead(server);
                assertEquals(-1, client.input().read(), "the peer sees end of stream");
            }
        }
    }

    @Test
    void replacesAStaleSocketFile() throws Exception {
        Path path = dir.resolve("agent.sock");
        // A listener that went away without cleaning up: the JDK leaves the file behind on close.
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(path));
        }
        assertTrue(Files.exists(path));
        try (Listener listener = transports.listen(new AgentAddress.Unix(path));
             TestThreads threads = new TestThreads(1)) {
            Future<Connection> accepted = threads.submit(listener::accept);
            try (Connection client = transports.dial(new AgentAddress.Unix(path), TIMEOUT);
                 Connection server = await(accepted)) {
                ConnectionChecks.exchange(client, server, 1024);
            }
        }
    }

    @Test
    void refusesASocketSomeoneListensOn() throws Exception {
        Path path = dir.resolve("agent.sock");
        try (Listener first = transports.listen(new AgentAddress.Unix(path))) {
            IOException e = assertThrows(IOException.class, () -> transports.listen(new AgentAddress.Unix(path)));
            assertTrue(e.getMessage().contains("another process is listening"), e.getMessage());
            assertTrue(Files.exists(path), "the live socket must stay");
            assertFalse(first.isClosed());
        }
    }

    @Test
    void refusesToReplaceAFileThatIsNotASocket() throws Exception {
        Path path = dir.resolve("agent.sock");
        Files.writeString(path, "keep me");
        IOException e = assertThrows(IOException.class, () -> transports.listen(new AgentAddress.Unix(path)));
        assertTrue(e.getMessage().contains("is not a socket"), e.getMessage());
        assertEquals("keep me", Files.readString(path));
    }

    @Test
    void createsMissingParentDirectories() throws Exception {
        Path path = dir.resolve("run/kata-containers/agent.sock");
        try (Listener listener = transports.listen(new AgentAddress.Unix(path))) {
            assertTrue(Files.exists(path));
            assertEquals("unix://" + path, listener.address());
        }
    }

    @Test
    void closeLeavesAReplacementSocketAlone() throws Exception {
        Path path = dir.resolve("agent.sock");
        Listener listener = transports.listen(new AgentAddress.Unix(path));
        Files.delete(path);
        try (ServerSocketChannel other = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            other.bind(UnixDomainSocketAddress.of(path));
            listener.close();
            assertTrue(Files.exists(path), "someone else's socket file must not be removed");
        }
    }

    @Test
    void dialingNothingFailsNamingTheAddress() {
        AgentAddress address = new AgentAddress.Unix(dir.resolve("absent.sock"));
        IOException e = assertThrows(IOException.class, () -> transports.dial(address, TIMEOUT));
        assertTrue(e.getMessage().contains(address.toString()), e.getMessage());
    }
}
