package org.cvmagent.agent.sandbox;

import io.grpc.Status.Code;
import org.cvmagent.rpc.RpcException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GetDiagnosticData's termination log under a host that swaps links into the shared tree: the
 * file is read only through a path without any symbolic link, whatever the host does meanwhile.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TerminationLogReaderTest {

    @TempDir
    Path dir;

    private Path root;
    private Path outside;

    private TerminationLogReader reader() throws IOException {
        root = Files.createDirectories(dir.resolve("kata"));
        outside = Files.createDirectories(dir.resolve("guest-secrets"));
        Files.writeString(outside.resolve("log"), "SECRET");
        return new TerminationLogReader(root, 16);
    }

    @Test
    void readsTheStartOfARegularFile() throws Exception {
        TerminationLogReader reader = reader();
        Path log = Files.createDirectories(root.resolve("shared/c1")).resolve("log");
        Files.writeString(log, "bye: exit 3, and much more than sixteen bytes");
        assertEquals("bye: exit 3, and", reader.read("c1", log.toString()));
    }

    @Test
    void aSymlinkedFileIsRefused() throws Exception {
        TerminationLogReader reader = reader();
        Path dirs = Files.createDirectories(root.resolve("shared/c1"));
        Files.createSymbolicLink(dirs.resolve("log"), outside.resolve("log"));
        assertRefused(reader, dirs.resolve("log"), "symbolic link");
    }

    @Test
    void aSymlinkedIntermediateDirectoryIsRefused() throws Exception {
        TerminationLogReader reader = reader();
        Files.createDirectories(root.resolve("shared"));
        Files.createSymbolicLink(root.resolve("shared/c1"), outside);
        assertRefused(reader, root.resolve("shared/c1/log"), "symbolic link");
        // even a link that stays inside the root: no link is followed at all
        Path real = Files.createDirectories(root.resolve("shared/real"));
        Files.writeString(real.resolve("log"), "inside");
        Files.createSymbolicLink(root.resolve("shared/alias"), real);
        assertRefused(reader, root.resolve("shared/alias/log"), "symbolic link");
    }

    @Test
    void pathsOutsideTheRootAndNonFilesAreRefused() throws Exception {
        TerminationLogReader reader = reader();
        RpcException outsideRoot = assertThrows(RpcException.class,
                () -> reader.read("c1", root.resolve("../guest-secrets/log").toString()));
        assertEquals(Code.INVALID_ARGUMENT, outsideRoot.code());
        Path fifo = Files.createDirectories(root.resolve("shared")).resolve("fifo");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertEquals(0, mkfifo.waitFor());
        assertRefused(reader, fifo, "not a regular file");
        assertRefused(reader, root.resolve("shared"), "not a regular file");
    }

    /** A host swapping the container's directory for a link to a guest directory, as fast as it can. */
    @Test
    void aDirectorySwappedForALinkNeverLeadsOutside() throws Exception {
        TerminationLogReader reader = reader();
        Path shared = Files.createDirectories(root.resolve("shared"));
        Path c1 = shared.resolve("c1");
        Path real = Files.createDirectories(shared.resolve("c1-real"));
        Files.writeString(real.resolve("log"), "honest");
        Path link = shared.resolve("c1-link");
        Files.createSymbolicLink(link, outside);
        Files.move(real, c1);
        AtomicBoolean stop = new AtomicBoolean();
        Thread host = Thread.ofPlatform().start(() -> {
            try {
                while (!stop.get()) {
                    // c1 becomes the link, then the directory again
                    Files.move(c1, real, StandardCopyOption.ATOMIC_MOVE);
                    Files.move(link, c1, StandardCopyOption.ATOMIC_MOVE);
                    Files.move(c1, link, StandardCopyOption.ATOMIC_MOVE);
                    Files.move(real, c1, StandardCopyOption.ATOMIC_MOVE);
                }
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
        int honest = 0;
        int refused = 0;
        try {
            for (int i = 0; i < 3000; i++) {
                try {
                    String text = reader.read("c1", c1.resolve("log").toString());
                    assertFalse(text.contains("SECRET"), "read through the swapped-in link");
                    assertEquals("honest", text);
                    honest++;
                } catch (RpcException e) {
                    assertEquals(Code.INVALID_ARGUMENT, e.code(), e.getMessage());
                    refused++;
                } catch (IOException e) {
                    // the name was between two renames: nothing there
                    assertTrue(e.getMessage().contains("No such file"), e.getMessage());
                }
            }
        } finally {
            stop.set(true);
            host.join();
        }
        assertTrue(refused > 0, "the link was seen and refused (" + honest + " honest reads)");
    }

    private static void assertRefused(TerminationLogReader reader, Path path, String why) {
        RpcException e = assertThrows(RpcException.class, () -> reader.read("c1", path.toString()));
        assertEquals(Code.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains(why), e.getMessage());
        assertFalse(e.getMessage().contains("SECRET"));
    }
}
