package org.cvmagent.agent.storage;

import io.grpc.Status;
import org.cvmagent.agent.process.CommandResult;
import org.cvmagent.agent.process.ExitStatus;
import org.cvmagent.image.PullOptions;
import org.cvmagent.rpc.RpcException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The layer store on the disk init-data names, with a fake sysfs and a fake cryptsetup: nothing
 * happens before the first pull; the first sets the disk up once; a disk that is missing, in use or
 * cannot be set up fails every pull with FAILED_PRECONDITION naming the setting, never falling back.
 */
class EncryptedImageStoreTest {

    private static final String SETTING = "init-data cdh.toml [image] image_store_device";

    @TempDir
    Path dir;
    private Path sys;
    private Path dev;
    private Path mountPoint;
    private final List<List<String>> commands = new ArrayList<>();
    private final List<Path> formatted = new ArrayList<>();
    private final List<Path> opened = new ArrayList<>();
    private int released;

    @BeforeEach
    void disk() throws IOException {
        sys = dir.resolve("sys");
        dev = Files.createDirectories(dir.resolve("dev"));
        Files.createDirectories(sys.resolve("class/block/vdc/holders"));
        Files.writeString(sys.resolve("class/block/vdc/dev"), "254:32\n");
        try (RandomAccessFile f = new RandomAccessFile(dev.resolve("vdc").toFile(), "rw")) {
            f.setLength(32L * 1024 * 1024);
        }
        Files.writeString(dir.resolve("mountinfo"), "");
        mountPoint = dir.resolve("state/images-disk");
    }

    private DiskUse disks() {
        return new DiskUse(sys, dev, dir.resolve("mountinfo"));
    }

    /** A store whose volume set-up only records the device and checks the mount point it is handed. */
    private EncryptedImageStore store(Path device) {
        return new EncryptedImageStore(SETTING, device, disks(), (node, target, options) -> {
            assertEquals(mountPoint, target.realPath(), "the volume is mounted at the store's mount point");
            assertEquals(MountOptions.MS_NOSUID | MountOptions.MS_NODEV, options.flags());
            formatted.add(node);
            return () -> released++;
        }, mountPoint, mount -> {
            opened.add(mount);
            return new ImageStore.Ready(null, mount.resolve("containers"), PullOptions.defaults(false));
        });
    }

    private RpcException refused(ImageStore store) {
        RpcException e = assertThrows(RpcException.class, store::ready);
        assertEquals(Status.Code.FAILED_PRECONDITION, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains(SETTING + " = \"/dev/vdc\""), e.getMessage());
        assertTrue(e.getMessage().contains("not pulled into guest memory instead"), e.getMessage());
        return e;
    }

    @Test
    void theDiskIsSetUpAtTheFirstPullAndOnlyOnce() throws Exception {
        EncryptedImageStore store = store(Path.of("/dev/vdc"));
        assertTrue(formatted.isEmpty() && Files.notExists(mountPoint), "nothing happens before the first pull");
        ImageStore.Ready first = store.ready();
        assertEquals(List.of(dev.resolve("vdc")), formatted, "the disk, found through sysfs, is formatted");
        assertEquals(List.of(mountPoint), opened, "the layer store is opened on the mounted volume");
        assertEquals(mountPoint.resolve("containers"), first.containersDir());
        assertSame(first, store.ready(), "later pulls use the same store");
        assertEquals(1, formatted.size());
        assertEquals(0, released);
    }

    @Test
    void aMissingDiskFailsEveryPull() throws Exception {
        EncryptedImageStore store = store(Path.of("/dev/vdc"));
        Files.delete(sys.resolve("class/block/vdc/dev"));
        Files.delete(sys.resolve("class/block/vdc/holders"));
        Files.delete(sys.resolve("class/block/vdc"));
        RpcException e = refused(store);
        assertTrue(e.getMessage().contains("no block device /dev/vdc"), e.getMessage());
        refused(store);
        assertTrue(formatted.isEmpty() && opened.isEmpty());
    }

    @Test
    void aDiskInUseIsNotTouched() throws Exception {
        Files.createDirectories(sys.resolve("class/block/vdc/holders/dm-0"));
        RpcException e = refused(store(Path.of("/dev/vdc")));
        assertTrue(e.getMessage().contains("in use by [dm-0]"), e.getMessage());
        assertTrue(formatted.isEmpty());

        Files.delete(sys.resolve("class/block/vdc/holders/dm-0"));
        Files.writeString(dir.resolve("mountinfo"), "30 1 254:32 / /mnt rw - ext4 /dev/vdc rw\n");
        RpcException mounted = refused(store(Path.of("/dev/vdc")));
        assertTrue(mounted.getMessage().contains("is mounted"), mounted.getMessage());
        assertTrue(formatted.isEmpty());
    }

    @Test
    void aStoreThatCannotBeOpenedReleasesTheVolumeAndIsNotRetried() {
        EncryptedImageStore store = new EncryptedImageStore(SETTING, Path.of("/dev/vdc"), disks(),
                (node, target, options) -> {
                    formatted.add(node);
                    return () -> released++;
                }, mountPoint, mount -> {
                    throw new IOException("no space left on device");
                });
        RpcException e = refused(store);
        assertTrue(e.getMessage().contains("no space left on device"), e.getMessage());
        assertEquals(1, released, "the volume is unmounted and closed again");
        refused(store);
        assertEquals(1, formatted.size(), "a failed set-up is not retried on a half-used disk");
    }

    /** The agent's own path with a fake cryptsetup: ephemeral LUKS2 + integrity, no journal; no mapper node, so the mount fails. */
    @Test
    void theRealVolumesFormatTheDiskAsEphemeralScratchAndCloseItWhenTheMountFails() throws Exception {
        LuksScratch luks = new LuksScratch((argv, env, timeout) -> {
            commands.add(argv);
            return new CommandResult(argv, new ExitStatus(0, 0), new byte[0], new byte[0], false, false);
        }, dir.resolve("keys"), new SecureRandom(), Duration.ofSeconds(5));
        EncryptedVolumes volumes = new EncryptedVolumes(luks, Mounter.load(), disks());
        EncryptedImageStore store = new EncryptedImageStore(SETTING, Path.of("/dev/vdc"), volumes.diskUse(),
                volumes::ephemeral, mountPoint, mount -> {
                    throw new AssertionError("no store is opened on a volume that did not mount");
                });
        RpcException e = refused(store);
        assertTrue(e.getMessage().contains("setting it up as the encrypted image store failed"), e.getMessage());
        assertEquals(List.of("luksFormat", "open", "mkfs.ext4", "close"), commands.stream()
                .map(c -> c.get(0).endsWith("cryptsetup") ? c.get(1) : Path.of(c.get(0)).getFileName().toString())
                .toList());
        List<String> format = commands.get(0);
        assertTrue(format.contains("--integrity") && format.contains("hmac-sha256")
                && format.contains(dev.resolve("vdc").toString()), format.toString());
        assertTrue(commands.get(1).contains("--integrity-no-journal"), commands.get(1).toString());
        assertFalse(Files.exists(dir.resolve("keys")) && Files.list(dir.resolve("keys")).findAny().isPresent(),
                "no key file is left behind");
        refused(store);
        assertEquals(4, commands.size(), "nothing more runs at later pulls");
    }
}
