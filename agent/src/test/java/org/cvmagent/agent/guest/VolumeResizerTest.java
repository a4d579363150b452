package org.cvmagent.agent.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cvmagent.agent.process.CommandRunner;
import org.cvmagent.agent.process.PosixSpawner;
import org.cvmagent.agent.process.Reaper;
import org.cvmagent.rpc.RpcException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ResizeVolume on a real ext4 loop device that the "host" grew (root; losetup and e2fsprogs from scripts/setup). */
class VolumeResizerTest {
    @TempDir
    Path dir;
    private String loop;
    private Path mountPoint;
    private Reaper reaper;

    @AfterEach
    void cleanUp() throws Exception {
        if (mountPoint != null) {
            run("umount", mountPoint.toString());
        }
        if (loop != null) {
            run("losetup", "-d", loop);
        }
        if (reaper != null) {
            reaper.close();
        }
    }

    @Test
    void anExt4VolumeGrowsOnlineToItsDevice() throws Exception {
        Path image = dir.resolve("vol.img");
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(16L * 1024 * 1024);
        }
        run("mkfs.ext4", "-q", image.toString());
        loop = run("losetup", "-f", "--show", image.toString()).strip();
        mountPoint = Files.createDirectory(dir.resolve("vol"));
        run("mount", loop, mountPoint.toString());
        long before = Files.getFileStore(mountPoint).getTotalSpace();
        // the host grows the disk
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(48L * 1024 * 1024);
        }
        run("losetup", "-c", loop);
        reaper = Reaper.start();
        VolumeResizer resizer = new VolumeResizer(new CommandRunner(new PosixSpawner(reaper)),
                Path.of("/proc/self/mountinfo"));
        assertEquals(Status.Code.FAILED_PRECONDITION, assertThrows(RpcException.class,
                () -> resizer.resize(mountPoint.toString(), 64L * 1024 * 1024)).code(), "larger than the device");
        if (hasCapSysResource()) {
            resizer.resize(mountPoint.toString(), 48L * 1024 * 1024);
            long after = Files.getFileStore(mountPoint).getTotalSpace();
            assertTrue(after > before * 2, "grew from " + before + " to " + after);
        } else {
            // CI containers drop CAP_SYS_RESOURCE, which ext4's online resize ioctl needs (the guest
            // agent has it): the failure must then carry resize2fs's own reason
            RpcException denied = assertThrows(RpcException.class,
                    () -> resizer.resize(mountPoint.toString(), 48L * 1024 * 1024));
            assertEquals(Status.Code.INTERNAL, denied.code());
            assertTrue(denied.getMessage().contains("resize2fs") && denied.getMessage().contains("Permission denied"),
                    denied.getMessage());
        }
        assertEquals(Status.Code.NOT_FOUND, assertThrows(RpcException.class,
                () -> resizer.resize(dir.toString() + "/nothing", 1)).code());
        assertEquals(Status.Code.INVALID_ARGUMENT, assertThrows(RpcException.class,
                () -> resizer.resize("relative", 1)).code());
    }

    /** CAP_SYS_RESOURCE (bit 24) in this process's effective set. */
    private static boolean hasCapSysResource() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("CapEff:")) {
                return (Long.parseUnsignedLong(line.substring(7).strip(), 16) & (1L << 24)) != 0;
            }
        }
        return false;
    }

    private static String run(String... command) throws Exception {
        Process process = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
        return output;
    }
}
