package org.cvmagent.rootfs;

import org.cvmagent.agent.cli.AgentClient;
import org.cvmagent.agent.cli.PodClient;
import org.cvmagent.proto.agent.CheckRequest;
import org.cvmagent.proto.agent.CreateContainerRequest;
import org.cvmagent.proto.agent.CreateSandboxRequest;
import org.cvmagent.proto.agent.HealthCheckResponse;
import org.cvmagent.proto.agent.HealthGrpc;
import org.cvmagent.proto.agent.Mount;
import org.cvmagent.proto.agent.Storage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Encrypted scratch on a disk the host provides (issue 18; kata's block-encrypted emptyDir: a
 * {@code blk} storage with {@code encryption_key=ephemeral}): a container writes a known text into
 * it; the host's disk holds a LUKS2 header and no plaintext; then the host flips bytes all over the
 * disk while the guest runs, and the container's next direct read of its file fails with an I/O
 * error (dm-integrity) rather than returning the host's bytes.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class GuestScratchTest {

    private static final Duration BOOT_TIMEOUT = Duration.ofMinutes(4);
    private static final Duration CALL_TIMEOUT = Duration.ofMinutes(4);
    private static final Duration POWER_OFF_TIMEOUT = Duration.ofMinutes(1);
    private static final String SECRET = "CVM-SCRATCH-PLAINTEXT-7f3a";
    private static final String MOUNT_POINT = "/run/kata-containers/sandbox/storage/scratch";
    private static final long DISK_BYTES = 64L * 1024 * 1024;
    /** LUKS2 keeps its header (and keyslots) in the first 16 MiB; the data comes after. */
    private static final long DATA_START = 16L * 1024 * 1024;
    private static final byte[] LUKS_MAGIC = {'L', 'U', 'K', 'S', (byte) 0xba, (byte) 0xbe};

    @TempDir
    Path dir;

    @Test
    void theHostSeesOnlyCiphertextAndItsChangesReadAsErrors() throws Exception {
        GuestImage image = GuestImage.ofCheckout();
        image.build(dir.resolve("build.log"));
        Path disk = dir.resolve("scratch.img");
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.setLength(DISK_BYTES);
        }
        try (Guest guest = Guest.boot(image, dir, List.of("--scratch-disk", disk.toString()), List.of())) {
            try {
                try (AgentClient client = guest.connect(Duration.ofSeconds(30))) {
                    HealthCheckResponse health = (HealthCheckResponse) client.call(HealthGrpc.getCheckMethod(),
                            CheckRequest.getDefaultInstance(), BOOT_TIMEOUT);
                    assertEquals(HealthCheckResponse.ServingStatus.SERVING, health.getStatus());
                    PodClient pod = new PodClient(client, CALL_TIMEOUT);
                    pod.createSandbox(GuestPodRequests.sandbox("scratch-pod").toBuilder()
                            .addStorages(Storage.newBuilder().setDriver("blk").setSource("/dev/vdb").setFstype("ext4")
                                    .addDriverOptions("encryption_key=ephemeral").addDriverOptions("create_filesystem")
                                    .setMountPoint(MOUNT_POINT))
                            .build());
                    assertEquals(0, run(pod, "writer", "i=0; while [ $i -lt 2000 ]; do echo " + SECRET
                            + "; i=$((i+1)); done > /tmp/secret && dd if=/tmp/secret of=/tmp/direct bs=4096"
                            + " count=4 oflag=direct conv=fsync && sync"), "the writer's exit code");

                    byte[] bytes = Files.readAllBytes(disk);
                    assertArrayEquals(LUKS_MAGIC, Arrays.copyOf(bytes, LUKS_MAGIC.length), "a LUKS2 header on the disk");
                    assertTrue(DiskBytes.indexOf(bytes, SECRET.getBytes(StandardCharsets.US_ASCII)) < 0,
                            "the host's disk holds the container's plaintext");

                    // The host changes the disk under the running guest: a byte in every 4 KiB.
                    try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
                        for (long at = DATA_START; at < DISK_BYTES; at += 4096) {
                            f.seek(at + 123);
                            int b = f.read();
                            f.seek(at + 123);
                            f.write(b ^ 0x5a);
                        }
                    }
                    assertNotEquals(0, run(pod, "reader", "dd if=/tmp/direct of=/dev/null bs=4096 iflag=direct"),
                            "a direct read of the tampered disk succeeded");
                    // dm-crypt checks each sector's HMAC (authenticated encryption over dm-integrity's tags)
                    assertTrue(guest.awaitConsole(Pattern.compile("INTEGRITY AEAD ERROR|[Cc]hecksum failed"),
                            Duration.ofSeconds(10)).isPresent(), "the kernel's integrity error on the console");
                    pod.destroySandbox();
                }
                if (!guest.awaitExit(POWER_OFF_TIMEOUT)) {
                    fail("the guest did not power off within " + POWER_OFF_TIMEOUT + " of DestroySandbox");
                }
                assertEquals(Optional.of(0), guest.exitCode());
            } catch (AssertionError | Exception e) {
                System.out.println("guest console (" + dir.resolve("console.log") + "):\n" + guest.console());
                throw e;
            }
        }
    }

    /** A container with the scratch storage at /tmp (a directory of the read-only busybox rootfs); its exit code. */
    private static int run(PodClient pod, String id, String script) throws Exception {
        CreateContainerRequest base = GuestPodRequests.container(id, GuestPodRequests.process("sh", "-c", script));
        pod.createContainer(base.toBuilder().setSandboxPidns(false).setOCI(base.getOCI().toBuilder()
                .addMounts(Mount.newBuilder().setDestination("/tmp").setSource(MOUNT_POINT).setType("bind")
                        .addOptions("rbind").addOptions("rw"))).build());
        pod.startContainer(id);
        int exit = pod.waitProcess(id, "");
        pod.removeContainer(id, 0);
        return exit;
    }
}
