package org.cvmagent.agent.tty;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The console socket against a client that sends fds as runc does, with real pty pairs. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ConsoleSocketTest {

    @TempDir
    Path dir;

    private TestTerminals terminals;

    @BeforeEach
    void setUp() {
        terminals = new TestTerminals();
    }

    @Test
    void receivesTheMasterAndItWorks() throws Throwable {
        Path path = dir.resolve("private/console.sock");
        TestTerminals.Pair pty = terminals.openPty();
        try (ConsoleSocket socket = ConsoleSocket.listen(path)) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(path)));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(path.getParent())));
            int client = terminals.connect(path);
            terminals.send(client, pty.slavePath(), pty.master());
            terminals.close(client);
            // The sender's copy goes, as runc closes its own after sending.
            terminals.close(pty.master());

            try (PtyMaster master = socket.receiveMaster(Duration.ofSeconds(5))) {
                assertEquals(pty.slavePath(), master.name());
                terminals.write(pty.slave(), "from the slave\n");
                byte[] buffer = new byte[64];
                int n = master.input().read(buffer, 0, buffer.length);
                // The slave's line discipline turns \n into \r\n (ONLCR).
                assertEquals("from the slave\r\n", new String(buffer, 0, n, StandardCharsets.UTF_8));

                master.output().write("to the slave\n".getBytes(StandardCharsets.UTF_8));
                assertEquals("to the slave\n", terminals.read(pty.slave()));

                master.resize(40, 132);
                assertEquals(new WindowSize(40, 132), terminals.size(pty.slave()));
                assertEquals(new WindowSize(40, 132), master.size());
            }
        } finally {
            terminals.close(pty.slave());
        }
        assertFalse(Files.exists(path), "close removes the socket file");
    }

    @Test
    void closedSlaveIsEndOfStreamAfterBufferedOutput() throws Throwable {
        Path path = dir.resolve("console.sock");
        TestTerminals.Pair pty = terminals.openPty();
        try (ConsoleSocket socket = ConsoleSocket.listen(path)) {
            int client = terminals.connect(path);
            terminals.send(client, "pts", pty.master());
            terminals.close(client);
            terminals.close(pty.master());
            try (PtyMaster master = socket.receiveMaster(Duration.ofSeconds(5))) {
                terminals.write(pty.slave(), "last words\n");
                terminals.close(pty.slave());
                InputStream in = master.input();
                assertEquals("last words\r\n", new String(in.readAllBytes(), StandardCharsets.UTF_8));
                assertEquals(-1, in.read());
            }
        }
    }

    @Test
    void timesOutWithoutAConnection() throws Throwable {
        try (ConsoleSocket socket = ConsoleSocket.listen(dir.resolve("console.sock"))) {
            long start = System.nanoTime();
            IOException e = assertThrows(IOException.class, () -> socket.receiveMaster(Duration.ofMillis(200)));
            assertTrue(e.getMessage().contains("no connection on console socket"), e.getMessage());
            assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(200));
        }
    }

    @Test
    void timesOutWhenTheConnectedPeerSendsNothing() throws Throwable {
        Path path = dir.resolve("console.sock");
        try (ConsoleSocket socket = ConsoleSocket.listen(path)) {
            int client = terminals.connect(path);
            try {
                IOException e = assertThrows(IOException.class, () -> socket.receiveMaster(Duration.ofMillis(200)));
                assertTrue(e.getMessage().contains("sent no terminal within"), e.getMessage());
            } finally {
                terminals.close(client);
            }
        }
    }

    @Test
    void peerHangingUpWithoutAnFdIsAnError() throws Throwable {
        Path path = dir.resolve("console.sock");
        try (ConsoleSocket socket = ConsoleSocket.listen(path)) {
            terminals.close(terminals.connect(path));
            IOException e = assertThrows(IOException.class, () -> socket.receiveMaster(Duration.ofSeconds(5)));
            assertTrue(e.getMessage().contains("hung up without sending a terminal"), e.getMessage());

            int client = terminals.connect(path);
            terminals.send(client, "/dev/pts/99");
            terminals.close(client);
            e = assertThrows(IOException.class, () -> socket.receiveMaster(Duration.ofSeconds(5)));
            assertTrue(e.getMessage().contains("data without a terminal fd"), e.getMessage());
        }
    }

    @Test
    void moreThanOneFdIsRefusedAndAllAreClosed() throws Throwable {
        Path path = dir.resolve("console.sock");
        TestTerminals.Pair pty = terminals.openPty();
        try (ConsoleSocket socket = ConsoleSocket.listen(path)) {
            long before = openFds();
            int client = terminals.connect(path);
            terminals.send(client, "two", pty.master(), pty.slave());
            terminals.close(client);
            IOException e = assertThrows(IOException.class, () -> socket.receiveMaster(Duration.ofSeconds(5)));
            assertTrue(e.getMessage().contains("sent 2 fds instead of one terminal"), e.getMessage());
            assertEquals(before, openFds(), "the received fds and the connection are closed");
        } finally {
            terminals.close(pty.master());
            terminals.close(pty.slave());
        }
    }

    @Test
    void refusesAPathTooLongForAUnixSocket() {
        Path path = dir.resolve("x".repeat(120));
        IOException e = assertThrows(IOException.class, () -> ConsoleSocket.listen(path));
        assertTrue(e.getMessage().contains("longer than a unix socket allows"), e.getMessage());
    }

    @Test
    void refusesAnOccupiedPath() throws Throwable {
        Path path = dir.resolve("console.sock");
        try (ConsoleSocket first = ConsoleSocket.listen(path)) {
            IOException e = assertThrows(IOException.class, () -> ConsoleSocket.listen(path));
            assertTrue(e.getMessage().contains("bind console socket"), e.getMessage());
            assertTrue(Files.exists(path), "a failed listen leaves the other socket's file alone");
        }
    }

    @Test
    void resizingAClosedMasterFails() throws Throwable {
        Path path = dir.resolve("console.sock");
        TestTerminals.Pair pty = terminals.openPty();
        try (ConsoleSocket socket = ConsoleSocket.listen(path)) {
            int client = terminals.connect(path);
            terminals.send(client, "pty", pty.master());
            terminals.close(client);
            terminals.close(pty.master());
            PtyMaster master = socket.receiveMaster(Duration.ofSeconds(5));
            master.close();
            master.close();
            assertThrows(IOException.class, () -> master.resize(10, 10));
            assertThrows(IllegalArgumentException.class, () -> new WindowSize(70000, 1));
        } finally {
            terminals.close(pty.slave());
        }
    }

    private static long openFds() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
