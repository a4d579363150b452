package org.cvmagent.transport;

import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.cvmagent.transport.ConnectionChecks.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A pty pair made by socat stands in for the virtio-serial port and its host side. */
@SuppressWarnings("try") // some resources only keep a peer alive for the duration of a test
class SerialListenerTest {

    @TempDir
    Path dir;

    private final Transports transports = new Transports();

    private SocatPtyPair pair(String hostName) throws IOException, InterruptedException {
        return new SocatPtyPair(dir.resolve("agent.channel.0"), dir.resolve(hostName), dir.resolve(hostName + ".log"));
    }

    private AgentAddress.Serial address() {
        return new AgentAddress.Serial(dir.resolve("agent.channel.0"));
    }

    @Test
    void servesOnePeerAndSeesItsHangUpAsEndOfStream() throws Exception {
        try (Listener listener = transports.listen(address());
             TestThreads threads = new TestThreads(3)) {
            assertEquals(address().toString(), listener.address());
            try (SocatPtyPair host = pair("host-1");
                 Connection connection = listener.accept();
                 FileInputStream hostIn = new FileInputStream(host.hostEnd.toFile());
                 FileOutputStream hostOut = new FileOutputStream(host.hostEnd.toFile())) {
                assertEquals(address() + "#1", connection.describe());
                exchange(connection, hostIn, hostOut, threads, 256 * 1024);

                Future<Integer> read = threads.submit(() -> connection.input().read());
                ConnectionChecks.assertStillBlocked(read);
                host.hangUp();
                assertEquals(-1, await(read), "host hang-up must read as end of stream");
            }
        }
    }

    @Test
    void acceptWaitsForThePreviousConnectionThenReopensForTheNextPeer() throws Exception {
        try (Listener listener = transports.listen(address());
             TestThreads threads = new TestThreads(4);
             SocatPtyPair first = pair("host-1");
             Connection firstConnection = listener.accept();
             FileInputStream firstIn = new FileInputStream(first.hostEnd.toFile());
             FileOutputStream firstOut = new FileOutputStream(first.hostEnd.toFile())) {
            exchange(firstConnection, firstIn, firstOut, threads, 1024);

            Future<Connection> nextAccept = threads.submit(listener::accept);
            ConnectionChecks.assertStillBlocked(nextAccept);
            first.hangUp();
            assertEquals(-1, await(threads.submit(() -> firstConnection.input().read())));
            // The first peer is gone, but until the server closes its connection the port stays taken.
            ConnectionChecks.assertStillBlocked(nextAccept);

            try (SocatPtyPair second = pair("host-2")) {
                firstConnection.close();
                try (Connection secondConnection = await(nextAccept);
                     FileInputStream in = new FileInputStream(second.hostEnd.toFile());
                     FileOutputStream out = new FileOutputStream(second.hostEnd.toFile())) {
                    assertEquals(address() + "#2", secondConnection.describe());
                    exchange(secondConnection, in, out, threads, 64 * 1024);
                }
            }
        }
    }

    @Test
    void aSessionWhoseHostLeftKeepsThePortOpenForTheNextHost() throws Exception {
        // The guest kernel drops a virtio-serial port's unread data when the port is released, so
        // a request the next host wrote before the server closed the previous session would be
        // lost: a session that ended at the host's hang-up hands the open port back instead.
        try (Listener listener = transports.listen(address());
             TestThreads threads = new TestThreads(2);
             SocatPtyPair host = pair("host-1")) {
            Connection first = listener.accept();
            Path port = address().device().toRealPath();
            host.hangUp();
            assertEquals(-1, await(threads.submit(() -> first.input().read())));
            first.close();
            assertEquals(1, fdsOpenOn(port), "the port must stay open between host sessions");
            assertThrows(ClosedChannelException.class, () -> first.output().write(1),
                    "a late write of the old session must not reach the next host");
            listener.close();
            assertEquals(0, fdsOpenOn(port), "closing the listener closes the kept port");
        }
    }

    @Test
    void aSessionClosedWhileItsHostIsThereReleasesThePort() throws Exception {
        try (Listener listener = transports.listen(address()); SocatPtyPair host = pair("host-1")) {
            Connection connection = listener.accept();
            Path port = address().device().toRealPath();
            assertEquals(1, fdsOpenOn(port));
            connection.close();
            assertEquals(0, fdsOpenOn(port), "a session that did not end at the host's hang-up releases the port");
        }
    }

    /** How many of this process's fds have {@code file} open. */
    private static long fdsOpenOn(Path file) throws IOException {
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    // a pty whose other side is gone reads as "/dev/pts/N (deleted)"
                    return Files.readSymbolicLink(fd).toString().startsWith(file.toString());
                } catch (IOException e) {
                    return false; // the listing's own directory fd, closed by now
                }
            }).count();
        }
    }

    @Test
    void closingTheConnectionUnblocksItsReader() throws Exception {
        try (Listener listener = transports.listen(address()); SocatPtyPair host = pair("host-1")) {
            ConnectionChecks.assertCloseUnblocksRead(listener.accept());
        }
    }

    @Test
    void closingTheListenerUnblocksAnAcceptWaitingForThePort() throws Exception {
        try (SocatPtyPair host = pair("host-1")) {
            Listener listener = transports.listen(address());
            try (Connection busy = listener.accept()) {
                ConnectionChecks.assertCloseUnblocksAccept(listener);
                assertFalse(listener.address().isEmpty());
            }
        }
    }

    @Test
    void closingTheListenerLeavesAnAcceptedConnectionWorking() throws Exception {
        try (SocatPtyPair host = pair("host-1");
             TestThreads threads = new TestThreads(3)) {
            Listener listener = transports.listen(address());
            try (Connection connection = listener.accept();
                 FileInputStream in = new FileInputStream(host.hostEnd.toFile());
                 FileOutputStream out = new FileOutputStream(host.hostEnd.toFile())) {
                listener.close();
                exchange(connection, in, out, threads, 1024);
            }
        }
    }

    @Test
    void aMissingDeviceFailsClearlyAndDoesNotWedgeTheListener() throws Exception {
        try (Listener listener = transports.listen(address())) {
            for (int attempt = 0; attempt < 2; attempt++) {
                IOException e = assertThrows(IOException.class, listener::accept);
                assertEquals("open " + address() + ": No such file or directory (errno 2)", e.getMessage());
            }
        }
    }

    @Test
    void serialCannotBeDialed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> transports.dialer(address()));
        assertTrue(e.getMessage().contains("only served inside the guest"), e.getMessage());
    }

    /** Bytes both ways at once between the agent's connection and the host end of the pty pair. */
    private static void exchange(Connection agent, FileInputStream hostIn, FileOutputStream hostOut,
                                 TestThreads threads, int size) throws Exception {
        byte[] toHost = ConnectionChecks.randomBytes(size, 3);
        byte[] toAgent = ConnectionChecks.randomBytes(size, 4);
        Future<byte[]> hostRead = threads.submit(() -> hostIn.readNBytes(size));
        Future<?> hostWrite = threads.submit(() -> {
            hostOut.write(toAgent);
            return null;
        });
        // socat relays in one thread and blocks while one side is full, so the agent must read
        // while it writes, as the ttRPC server does.
        Future<byte[]> agentRead = threads.submit(() -> agent.input().readNBytes(size));
        agent.output().write(toHost);
        assertArrayEquals(toAgent, await(agentRead));
        assertArrayEquals(toHost, await(hostRead));
        await(hostWrite);
    }

    @Test
    void acceptAfterCloseFails() throws Exception {
        Listener listener = transports.listen(address());
        listener.close();
        assertTrue(listener.isClosed());
        assertThrows(ClosedChannelException.class, listener::accept);
    }
}
