package org.cvmagent.agent.storage;

import io.grpc.Status;
import org.cvmagent.proto.agent.Storage;
import org.cvmagent.rpc.RpcException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.cvmagent.agent.storage.StorageFixture.storage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The manager with the local, ephemeral and virtio-fs (bind) handlers, mounting for real beneath a
 * temporary sandbox root (the tests run as root).
 */
class StorageManagerTest {

    @TempDir
    Path dir;

    private Path root;
    private Path share;
    private Path outside;
    private StorageManager manager;

    @BeforeEach
    void sandbox() throws IOException {
        root = Files.createDirectory(dir.resolve("sandbox"));
        share = Files.createDirectory(dir.resolve("share"));
        Files.writeString(share.resolve("hello.txt"), "from the host");
        outside = Files.createDirectory(dir.resolve("outside"));
        Mounter mounter = Mounter.load();
        manager = new StorageManager(root, new StorageHandlers(List.of(new LocalHandler(mounter),
                new EphemeralHandler(mounter), new VirtioFsHandler(mounter))));
    }

    @AfterEach
    void cleanUp() throws Exception {
        try {
            manager.close();
        } finally {
            MountTable.unmountAll(dir);
        }
        assertEquals(List.of(), MountTable.under(dir), "everything was unmounted");
    }

    private String at(String relative) {
        return root + "/" + relative;
    }

    @Test
    void ephemeralMountsTmpfsAndRemovesItsDirectoryOnRelease() throws Exception {
        List<String> points = manager.add(List.of(storage("ephemeral", "tmpfs", "tmpfs", at("sandbox/ephemeral/e1"))), "c1");
        Path point = root.resolve("sandbox/ephemeral/e1");
        assertEquals(List.of(point.toString()), points);
        assertEquals("tmpfs", MountTable.fstype(point));
        Files.writeString(point.resolve("f"), "x");
        Files.delete(point.resolve("f"));

        manager.release(point.toString());
        assertEquals(List.of(), MountTable.under(root));
        assertFalse(Files.exists(point));
    }

    @Test
    void ephemeralFsGroupSetsGroupAndSetgidOnTheTmpfsRoot() throws Exception {
        manager.add(List.of(storage("ephemeral", "tmpfs", "tmpfs", at("e2"), "fsgid=3000")), "c1");
        Path point = root.resolve("e2");
        assertEquals(3000, (int) Files.getAttribute(point, "unix:gid"));
        assertEquals(03777, (int) Files.getAttribute(point, "unix:mode") & 07777);
    }

    @Test
    void ephemeralRefusesOtherFilesystems() {
        RpcException e = assertThrows(RpcException.class, () ->
                manager.add(List.of(storage("ephemeral", "/dev/sda", "ext4", at("e3"))), "c1"));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().startsWith("storages[0].fstype"), e.getMessage());
    }

    @Test
    void localCreatesTheDirectoryWithModeAndGroupAndMountsNothing() throws Exception {
        manager.add(List.of(storage("local", "local", "local", at("local/l1"), "mode=0750", "fsgid=2000")), "c1");
        Path point = root.resolve("local/l1");
        assertTrue(Files.isDirectory(point));
        assertEquals(List.of(), MountTable.under(root));
        assertEquals(02750, (int) Files.getAttribute(point, "unix:mode") & 07777);
        assertEquals(2000, (int) Files.getAttribute(point, "unix:gid"));

        manager.add(List.of(storage("local", "local", "local", at("local/l2"), "mode=0711")), "c1");
        assertEquals("rwx--x--x", PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("local/l2"))));
    }

    @Test
    void localRejectsABadMode() {
        RpcException e = assertThrows(RpcException.class, () ->
                manager.add(List.of(storage("local", "", "", at("l3"), "mode=0999")), "c1"));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().startsWith("storages[0].options"), e.getMessage());
        assertFalse(Files.exists(root.resolve("l3")), "the directory made for it is removed again");
    }

    @Test
    void virtioFsBindMountsTheShareReadOnly() throws Exception {
        manager.add(List.of(storage("virtio-fs", share.toString(), "bind", at("shared"), "ro", "nodev")), "sandbox");
        Path point = root.resolve("shared");
        assertEquals("from the host", Files.readString(point.resolve("hello.txt")));
        assertThrows(IOException.class, () -> Files.writeString(point.resolve("new.txt"), "x"),
                "a read-only bind is remounted read-only");
        manager.release(point.toString());
        assertEquals(List.of(), MountTable.under(root));
        assertTrue(Files.exists(share.resolve("hello.txt")), "the share itself is untouched");
    }

    @Test
    void virtioFsWithARealFstypeReportsTheKernelError() {
        RpcException e = assertThrows(RpcException.class, () ->
                manager.add(List.of(storage("virtio-fs", "kataShared", "virtiofs", at("vfs"))), "sandbox"));
        assertEquals(Status.Code.INTERNAL, e.code());
        assertTrue(e.getMessage().contains("errno"), e.getMessage());
        assertFalse(Files.exists(root.resolve("vfs")));
    }

    @Test
    void virtioFsBindRefusesASourceThroughASymlink() throws Exception {
        Path link = Files.createSymbolicLink(dir.resolve("share-link"), outside);
        RpcException e = assertThrows(RpcException.class, () ->
                manager.add(List.of(storage("virtio-fs", link.toString(), "bind", at("s2"))), "sandbox"));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().startsWith("storages[0].source"), e.getMessage());
        RpcException missing = assertThrows(RpcException.class, () ->
                manager.add(List.of(storage("virtio-fs", dir + "/nope", "bind", at("s3"))), "sandbox"));
        assertEquals(Status.Code.NOT_FOUND, missing.code());
    }

    @Test
    void theSameMountPointIsMountedOnceAndReferenceCounted() throws Exception {
        Storage tmp = storage("ephemeral", "tmpfs", "tmpfs", at("shm"));
        manager.add(List.of(tmp), "c1");
        manager.add(List.of(storage("ephemeral", "tmpfs", "tmpfs", root + "//shm/")), "c2");
        Path point = root.resolve("shm");
        assertEquals(2, manager.references(point.toString()));
        assertEquals(List.of(point), MountTable.under(root), "mounted once");

        manager.release(point.toString());
        assertEquals(List.of(point), MountTable.under(root), "still used by c2");
        manager.release(point.toString());
        assertEquals(List.of(), MountTable.under(root));
        assertEquals(0, manager.references(point.toString()));
        RpcException e = assertThrows(RpcException.class, () -> manager.release(point.toString()));
        assertEquals(Status.Code.NOT_FOUND, e.code());
    }

    @Test
    void aFailureReleasesWhatTheSameCallAdded() throws Exception {
        manager.add(List.of(storage("ephemeral", "tmpfs", "tmpfs", at("kept"))), "c0");
        RpcException e = assertThrows(RpcException.class, () -> manager.add(List.of(
                storage("ephemeral", "tmpfs", "tmpfs", at("kept")),
                storage("ephemeral", "tmpfs", "tmpfs", at("first")),
                storage("virtio-fs", share.toString(), "bind", at("second")),
                storage("no-such-driver", "x", "x", at("third"))), "c1"));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().startsWith("storages[3].driver"), e.getMessage());
        assertEquals(List.of(root.resolve("kept")), MountTable.under(root), "only the earlier storage stays");
        assertEquals(1, manager.references(at("kept")));
        assertFalse(Files.exists(root.resolve("first")));
        assertFalse(Files.exists(root.resolve("second")));
    }

    @Test
    void mountPointsMustBeAbsoluteBeneathTheRootWithoutDotDot() {
        for (String bad : List.of(at("a/../../outside"), "relative/path", outside.toString(), root.toString(),
                root + "-sibling/x", "")) {
            RpcException e = assertThrows(RpcException.class, () ->
                    manager.add(List.of(storage("ephemeral", "tmpfs", "tmpfs", bad)), "c1"), bad);
            assertEquals(Status.Code.INVALID_ARGUMENT, e.code());
            assertTrue(e.getMessage().startsWith("storages[0].mount_point"), e.getMessage());
        }
    }

    @Test
    void aSymlinkInsideTheRootCannotCarryAMountOutside() throws Exception {
        Files.createSymbolicLink(root.resolve("escape"), outside);
        Files.createSymbolicLink(root.resolve("dotdot"), Path.of("../outside"));
        manager.add(List.of(
                storage("ephemeral", "tmpfs", "tmpfs", at("escape/m1")),
                storage("ephemeral", "tmpfs", "tmpfs", at("escape")),
                storage("virtio-fs", share.toString(), "bind", at("dotdot/m2"))), "c1");

        List<Path> mounts = MountTable.under(dir);
        assertEquals(3, mounts.size(), mounts.toString());
        for (Path mount : mounts) {
            assertTrue(mount.startsWith(root), mount + " is beneath the sandbox root");
        }
        assertEquals(List.of(), MountTable.under(outside));
        try (var listing = Files.list(outside)) {
            assertEquals(0, listing.count(), "nothing was created outside");
        }
    }

    @Test
    void unknownDriverNamesTheField() {
        RpcException e = assertThrows(RpcException.class, () ->
                manager.add(List.of(storage("local", "", "", at("ok")), storage("virtio-blk", "", "", at("x"))), "c1"));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().startsWith("storages[1].driver"), e.getMessage());
    }

    @Test
    void badOptionsNameTheField() {
        RpcException e = assertThrows(RpcException.class, () ->
                manager.add(List.of(storage("virtio-fs", share.toString(), "bind", at("o"), "loop")), "c1"));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().startsWith("storages[0].options"), e.getMessage());
    }

    @Test
    void propagationIsSetOnTheNewMount() throws Exception {
        manager.add(List.of(storage("virtio-fs", share.toString(), "bind", at("shared-prop"), "rshared"),
                storage("virtio-fs", share.toString(), "bind", at("private-prop"), "private")), "c1");
        assertTrue(optionalFields(root.resolve("shared-prop")).contains("shared:"));
        assertFalse(optionalFields(root.resolve("private-prop")).contains("shared:"));
    }

    @Test
    void remountAndConflictingPropagationAreRefused() {
        for (List<String> options : List.of(List.of("remount"), List.of("shared", "private"))) {
            RpcException e = assertThrows(RpcException.class, () -> manager.add(List.of(
                    storage("virtio-fs", share.toString(), "bind", at("p"), options.toArray(String[]::new))), "c1"));
            assertEquals(Status.Code.INVALID_ARGUMENT, e.code());
            assertTrue(e.getMessage().startsWith("storages[0].options"), e.getMessage());
        }
    }

    /** The optional fields (shared:N, master:N) of the mount at {@code point} in mountinfo. */
    private static String optionalFields(Path point) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] fields = line.split(" ");
            if (fields[4].equals(point.toString())) {
                return String.join(" ", List.of(fields).subList(6, List.of(fields).indexOf("-")));
            }
        }
        throw new AssertionError(point + " is not mounted");
    }

    @Test
    void releaseAllUnmountsEverything() throws Exception {
        manager.add(List.of(storage("ephemeral", "tmpfs", "tmpfs", at("r1")),
                storage("ephemeral", "tmpfs", "tmpfs", at("r1")),
                storage("virtio-fs", share.toString(), "bind", at("r2"))), "c1");
        assertEquals(2, MountTable.under(root).size());
        manager.releaseAll();
        assertEquals(List.of(), MountTable.under(root));
        assertEquals(List.of(), manager.mountPoints());
    }
}
