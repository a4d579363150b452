package org.cvmagent.agent.storage;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

import static org.cvmagent.agent.storage.StorageFixture.storage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** watchable-bind: a tmpfs copy refreshed by polling, falling back to a bind beyond the limits. */
class WatchableBindHandlerTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private Path root;
    private Path source;
    private Path outside;
    private StorageManager manager;

    @BeforeEach
    void sandbox() throws IOException {
        root = Files.createDirectory(dir.resolve("sandbox"));
        outside = Files.createDirectory(dir.resolve("outside"));
        // A ConfigMap as the kubelet lays it out: keys are links into a timestamped directory.
        source = Files.createDirectory(dir.resolve("configmap"));
        Path data = Files.createDirectory(source.resolve("..2024_01_01"));
        Files.writeString(data.resolve("key"), "v1");
        Files.createSymbolicLink(source.resolve("..data"), Path.of("..2024_01_01"));
        Files.createSymbolicLink(source.resolve("key"), Path.of("..data/key"));
        // Limits small enough to cross in a test: 6 entries, 64 bytes.
        manager = new StorageManager(root, new StorageHandlers(List.of(
                new WatchableBindHandler(Mounter.load(), Duration.ofMillis(50), 6, 64))));
    }

    @AfterEach
    void cleanUp() throws Exception {
        try {
            manager.close();
        } finally {
            MountTable.unmountAll(dir);
        }
        assertEquals(List.of(), MountTable.under(dir));
        try (var listing = Files.list(outside)) {
            assertEquals(0, listing.count(), "nothing was ever written outside");
        }
    }

    private Path add(String name) throws Exception {
        manager.add(List.of(storage("watchable-bind", source.toString(), "bind", root + "/" + name)), "c1");
        return root.resolve(name);
    }

    @Test
    void copiesTheSourceIntoATmpfsAndFollowsChanges() throws Exception {
        Path point = add("watch/cm");
        assertEquals("tmpfs", MountTable.fstype(point));
        assertEquals("v1", Files.readString(point.resolve("key")));
        assertTrue(Files.isSymbolicLink(point.resolve("key")), "links are copied as links");

        Files.writeString(source.resolve("..2024_01_01/key"), "v2");
        eventually(() -> Files.readString(point.resolve("key")).equals("v2"));
        Files.writeString(source.resolve("new"), "n");
        eventually(() -> Files.exists(point.resolve("new")));
        Files.delete(source.resolve("new"));
        eventually(() -> !Files.exists(point.resolve("new")));

        manager.release(point.toString());
        assertEquals(List.of(), MountTable.under(root));
        assertFalse(Files.exists(point));
    }

    @Test
    void aLinkPlantedInTheCopyIsNeverWrittenThrough() throws Exception {
        Path point = add("cm");
        // A container with write access plants links where the next refresh will write.
        Files.createSymbolicLink(point.resolve("new"), outside.resolve("new"));
        Files.delete(point.resolve("..2024_01_01/key"));
        Files.createSymbolicLink(point.resolve("..2024_01_01/key"), outside.resolve("key"));
        Files.writeString(source.resolve("new"), "n");
        eventually(() -> Files.isRegularFile(point.resolve("new"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
        assertEquals("v1", Files.readString(point.resolve("key")));
    }

    @Test
    void aSourceTooLargeFromTheStartIsBoundInstead() throws Exception {
        Files.writeString(source.resolve("big"), "x".repeat(100));
        Path point = add("big");
        assertNotEquals("tmpfs", MountTable.fstype(point));
        assertEquals(100, Files.size(point.resolve("big")));
        Files.writeString(source.resolve("later"), "seen at once through the bind");
        assertTrue(Files.exists(point.resolve("later")));
    }

    @Test
    void aSourceGrowingTooLargeIsBoundOverTheCopy() throws Exception {
        Path point = add("grows");
        for (int i = 0; i < 6; i++) {
            Files.writeString(source.resolve("f" + i), "x");
        }
        eventually(() -> MountTable.under(root).size() == 2);
        assertNotEquals("tmpfs", MountTable.fstype(point));
        assertTrue(Files.exists(point.resolve("f5")));
        manager.release(point.toString());
        assertEquals(List.of(), MountTable.under(root), "both the bind and the copy are unmounted");
    }

    private static void eventually(Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.call()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + WAIT);
            }
            Thread.sleep(20);
        }
    }
}
