package org.cvmagent.agent.storage;

import io.grpc.Status;
import org.cvmagent.rpc.RpcException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.cvmagent.agent.storage.StorageFixture.storage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * blk, mmioblk and scsi against a fake sysfs tree whose entries name a real loop device holding an
 * ext4 filesystem.
 */
class BlockHandlerTest {

    private static final Duration TIMEOUT = Duration.ofMillis(400);

    @TempDir
    Path dir;

    private Path root;
    private Path sysfs;
    private StorageManager manager;
    private String loop;

    @BeforeEach
    void sandbox() throws Exception {
        root = Files.createDirectory(dir.resolve("sandbox"));
        sysfs = Files.createDirectory(dir.resolve("sys"));
        Mounter mounter = Mounter.load();
        BlockDevices devices = new BlockDevices(sysfs, Path.of("/dev"), TIMEOUT);
        manager = new StorageManager(root, new StorageHandlers(List.of(
                BlockHandler.virtioBlkPci(mounter, devices, Optional.empty()),
                BlockHandler.virtioBlkMmio(mounter, devices, Optional.empty()),
                BlockHandler.scsi(mounter, devices, Optional.empty()))));
    }

    @AfterEach
    void cleanUp() throws Exception {
        try {
            manager.close();
        } finally {
            MountTable.unmountAll(dir);
            if (loop != null) {
                run("losetup", "-d", loop);
            }
        }
        assertEquals(List.of(), MountTable.under(dir));
    }

    /** A loop device with an ext4 filesystem (losetup and mkfs.ext4 are on the build machines). */
    private String loopDevice() throws Exception {
        Path image = dir.resolve("disk.img");
        try (var file = new java.io.RandomAccessFile(image.toFile(), "rw")) {
            file.setLength(8 * 1024 * 1024);
        }
        run("mkfs.ext4", "-q", image.toString());
        String device = run("losetup", "-f", "--show", image.toString()).trim();
        assertTrue(device.startsWith("/dev/loop"), "no loop device: " + device);
        loop = device;
        return device.substring("/dev/".length());
    }

    private static String run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
        return output;
    }

    private void assertUsableExt4(Path point) throws IOException {
        assertEquals("ext4", MountTable.fstype(point));
        Files.writeString(point.resolve("written"), "ok");
        assertTrue(Files.isDirectory(point.resolve("lost+found")));
    }

    @Test
    void blkFindsTheDiskBehindAPciBridge() throws Exception {
        String disk = loopDevice();
        Path bridge = Files.createDirectories(sysfs.resolve("devices/pci0000:00/0000:00:02.0"));
        Files.createDirectories(bridge.resolve("pci_bus/0000:01"));
        Files.createDirectories(bridge.resolve("0000:01:03.0/virtio4/block").resolve(disk));

        manager.add(List.of(storage("blk", "02/03", "ext4", root + "/blk/vol", "nodev")), "c1");
        Path point = root.resolve("blk/vol");
        assertUsableExt4(point);
        manager.release(point.toString());
        assertEquals(List.of(), MountTable.under(root));
        assertFalse(Files.exists(point));
    }

    @Test
    void mmioblkWaitsForTheNode() throws Exception {
        String disk = loopDevice();
        manager.add(List.of(storage("mmioblk", "/dev/" + disk, "ext4", root + "/mmio", "ro")), "c1");
        Path point = root.resolve("mmio");
        assertEquals("ext4", MountTable.fstype(point));
        assertThrows(IOException.class, () -> Files.writeString(point.resolve("x"), "read-only"));
    }

    @Test
    void scsiScansTheHostsAndFindsTheDisk() throws Exception {
        String disk = loopDevice();
        Path host = Files.createDirectories(sysfs.resolve("class/scsi_host/host0"));
        Files.createDirectories(sysfs.resolve("bus/scsi/devices/0:0:1:2/block").resolve(disk));

        manager.add(List.of(storage("scsi", "1:2", "ext4", root + "/scsi")), "c1");
        assertEquals("0 1 2", Files.readString(host.resolve("scan")));
        assertUsableExt4(root.resolve("scsi"));
    }

    @Test
    void aDeviceThatNeverAppearsIsNotFoundWithinTheTimeout() {
        for (String[] missing : List.of(new String[] {"blk", "05/00"}, new String[] {"blk", "20/01/02"},
                new String[] {"mmioblk", "/dev/vdz-not-here"})) {
            long start = System.nanoTime();
            RpcException e = assertThrows(RpcException.class, () ->
                    manager.add(List.of(storage(missing[0], missing[1], "ext4", root + "/m")), "c1"));
            long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(Status.Code.NOT_FOUND, e.code(), e.getMessage());
            assertTrue(e.getMessage().startsWith("storages[0].source: ") && e.getMessage().contains("did not appear"),
                    e.getMessage());
            assertTrue(elapsed >= TIMEOUT.toMillis() && elapsed < TIMEOUT.toMillis() + 2000, elapsed + " ms");
            assertFalse(Files.exists(root.resolve("m")));
        }
        RpcException noHost = assertThrows(RpcException.class, () ->
                manager.add(List.of(storage("scsi", "0:1", "ext4", root + "/s")), "c1"));
        assertEquals(Status.Code.NOT_FOUND, noHost.code());
    }

    @Test
    void malformedSourcesAndRequestsAreInvalid() {
        for (var bad : List.of(
                storage("blk", "zz/01", "ext4", root + "/b"),
                storage("blk", "02/40", "ext4", root + "/b"),
                storage("scsi", "1", "ext4", root + "/b"),
                storage("scsi", "a:b", "ext4", root + "/b"),
                storage("mmioblk", "vda", "ext4", root + "/b"),
                storage("mmioblk", "/dev/../etc", "ext4", root + "/b"),
                storage("blk", "02/01", "", root + "/b"),
                storage("blk", "02/01", "ext4", root + "/b", "bind"))) {
            RpcException e = assertThrows(RpcException.class, () -> manager.add(List.of(bad), "c1"), bad.toString());
            assertEquals(Status.Code.INVALID_ARGUMENT, e.code(), e.getMessage());
        }
        // encrypted scratch needs cryptsetup (the guest's: GuestScratchTest); plain mkfs on the host's
        // disk and unknown options are refused
        for (List<String> options : List.of(List.of("encryption_key=ephemeral"), List.of("create_filesystem"),
                List.of("encryption_key=ephemeral", "fs_format=xfs"),
                // persistent volumes: a KBS resource of the configured KBS, one key
                List.of("encryption_key=kbs:///default/disk"), List.of("encryption_key=kbs://kbs.evil/a/b/c"),
                List.of("encryption_key=file:///etc/key"), List.of("encryption_key=kbs:///a/b/c",
                        "encryption_key=ephemeral"), List.of("encryption_key=kbs:///a/b/c"))) {
            RpcException e = assertThrows(RpcException.class, () -> manager.add(List.of(
                    storage("blk", "02/01", "ext4", root + "/b").toBuilder().addAllDriverOptions(options).build()),
                    "c1"));
            assertEquals(Status.Code.INVALID_ARGUMENT, e.code(), e.getMessage());
            assertTrue(e.getMessage().startsWith("storages[0].driver_options"), e.getMessage());
        }
    }
}
