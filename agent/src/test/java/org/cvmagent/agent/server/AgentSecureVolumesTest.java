package org.cvmagent.agent.server;

import io.grpc.Status;
import org.cvmagent.agent.process.CommandResult;
import org.cvmagent.agent.process.ExitStatus;
import org.cvmagent.agent.storage.BlockDevices;
import org.cvmagent.agent.storage.DiskUse;
import org.cvmagent.agent.storage.EncryptedVolumes;
import org.cvmagent.agent.storage.LuksHeaders;
import org.cvmagent.agent.storage.LuksScratch;
import org.cvmagent.agent.storage.Mounter;
import org.cvmagent.agent.storage.StorageHandlers;
import org.cvmagent.agent.storage.StorageManager;
import org.cvmagent.attestation.cdh.BlockDeviceMount;
import org.cvmagent.attestation.cdh.ResourceUri;
import org.cvmagent.rpc.RpcException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SecureMount's agent side with a fake sysfs and a fake cryptsetup: which disk, which mount point,
 * and what the disk's state makes of the request. Nothing here reaches a real mount: every case
 * stops before (refusals) or at the mount of a mapper device that does not exist.
 */
class AgentSecureVolumesTest {

    private static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;
    private Path disk;
    private StorageManager storages;
    private AgentSecureVolumes volumes;
    private final List<List<String>> commands = new ArrayList<>();
    private int openExit;

    @BeforeEach
    void setUp() throws Exception {
        Path sys = dir.resolve("sys");
        Path dev = Files.createDirectories(dir.resolve("dev"));
        Files.createDirectories(sys.resolve("class/block/vdb/holders"));
        Files.writeString(sys.resolve("class/block/vdb/dev"), "254:16\n");
        Files.createDirectories(sys.resolve("dev/block/254:16"));
        Files.writeString(sys.resolve("dev/block/254:16/uevent"), "DEVNAME=vdb\n");
        disk = dev.resolve("vdb");
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.setLength(32L * 1024 * 1024);
        }
        Files.writeString(dir.resolve("mountinfo"), "");
        LuksScratch luks = new LuksScratch((argv, env, timeout) -> {
            commands.add(argv);
            return new CommandResult(argv, new ExitStatus(argv.contains("open") ? openExit : 0, 0), new byte[0],
                    new byte[0], false, false);
        }, dir.resolve("keys"), new SecureRandom(), Duration.ofSeconds(5));
        Mounter mounter = Mounter.load();
        EncryptedVolumes encrypted = new EncryptedVolumes(luks, mounter, new DiskUse(sys, dev, dir.resolve("mountinfo")));
        Path root = Files.createDirectories(dir.resolve("sandbox"));
        storages = new StorageManager(root, StorageHandlers.kata(mounter, BlockDevices.system()));
        volumes = new AgentSecureVolumes(storages, encrypted);
    }

    @AfterEach
    void close() throws Exception {
        storages.close();
    }

    private BlockDeviceMount mount(String deviceId, BlockDeviceMount.Source source, String mountPoint) throws Exception {
        return new BlockDeviceMount(Optional.ofNullable(deviceId), Optional.of("/dev/vdb"),
                new BlockDeviceMount.KeySource.Kbs(ResourceUri.parse("kbs:///default/disk/k")), source, mountPoint);
    }

    private RpcException refused(BlockDeviceMount mount) {
        return assertThrows(RpcException.class, () -> volumes.mountBlockDevice(mount, Optional.of(KEY.clone())));
    }

    @Test
    void aDiskOrMountPointItMayNotUseIsInvalid() throws Exception {
        RpcException unknown = refused(mount("9:9", BlockDeviceMount.Source.ANY, dir.resolve("sandbox/v").toString()));
        assertEquals(Status.Code.INVALID_ARGUMENT, unknown.code());
        assertTrue(unknown.getMessage().contains("no block device 9:9"), unknown.getMessage());
        RpcException outside = refused(mount("254:16", BlockDeviceMount.Source.ANY, "/etc"));
        assertEquals(Status.Code.INVALID_ARGUMENT, outside.code(), outside.getMessage());
        assertTrue(outside.getMessage().contains("mount_point"), outside.getMessage());
        RpcException mismatch = refused(new BlockDeviceMount(Optional.of("254:16"), Optional.of("/dev/vdc"),
                new BlockDeviceMount.KeySource.Ephemeral(), BlockDeviceMount.Source.ANY,
                dir.resolve("sandbox/v").toString()));
        assertEquals(Status.Code.INVALID_ARGUMENT, mismatch.code(), mismatch.getMessage());
        assertTrue(commands.isEmpty(), commands.toString());
    }

    @Test
    void aWrongKeyOrABlankDiskThatShouldHoldTheVolumeIsAFailedPrecondition() throws Exception {
        String at = dir.resolve("sandbox/v").toString();
        RpcException wiped = refused(mount("254:16", BlockDeviceMount.Source.ENCRYPTED, at));
        assertEquals(Status.Code.FAILED_PRECONDITION, wiped.code(), wiped.getMessage());
        assertTrue(wiped.getMessage().contains("not formatted"), wiped.getMessage());
        assertTrue(commands.isEmpty(), commands.toString());

        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.write(LuksHeaders.area());
        }
        openExit = 2;
        RpcException wrong = refused(mount(null, BlockDeviceMount.Source.ENCRYPTED, at));
        assertEquals(Status.Code.FAILED_PRECONDITION, wrong.code(), wrong.getMessage());
        assertTrue(wrong.getMessage().startsWith("SecureMount: the volume key does not open")
                && wrong.getMessage().contains("the disk was not changed"), wrong.getMessage());
        assertEquals(List.of("open"), commands.stream().map(c -> c.get(1)).toList());
        assertTrue(storages.mountPoints().isEmpty(), "nothing is left registered");
        assertTrue(Files.notExists(Path.of(at)), "the mount point directory is removed again");
    }

    @Test
    void aMountThatFailsClosesTheVolumeAgain() throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.write(LuksHeaders.area());
        }
        // the fake cryptsetup makes no /dev/mapper node, so the mount fails after the open
        RpcException e = refused(mount("254:16", BlockDeviceMount.Source.ANY, dir.resolve("sandbox/v").toString()));
        assertEquals(Status.Code.INTERNAL, e.code(), e.getMessage());
        assertEquals(List.of("open", "close"), commands.stream().map(c -> c.get(1)).toList());
    }
}
