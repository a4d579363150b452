package org.cvmagent.rootfs;

import io.grpc.Status;
import org.cvmagent.agent.cli.AgentClient;
import org.cvmagent.agent.cli.PodClient;
import org.cvmagent.attestation.kbs.KbsPeerFixture;
import org.cvmagent.proto.agent.CheckRequest;
import org.cvmagent.proto.agent.CreateContainerRequest;
import org.cvmagent.proto.agent.HealthCheckResponse;
import org.cvmagent.proto.agent.HealthGrpc;
import org.cvmagent.proto.agent.Mount;
import org.cvmagent.proto.agent.Storage;
import org.cvmagent.rpc.RpcException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A persistent encrypted volume under a KBS key (issue 18), through kata's route: a {@code blk}
 * storage with {@code encryption_key=kbs:///default/disk/owner}, the key fetched by the guest's
 * confidential data hub from the host's KBS (sample TEE, init-data naming the KBS). Three boots with
 * one disk: the first formats the blank disk and a container writes a file; the second re-opens the
 * volume and the file is there; the third, with the KBS serving another key, is refused with
 * FAILED_PRECONDITION and the disk image's hash is unchanged; the fourth, with the right key but a
 * header whose metadata the host stripped of integrity (checksums redone), is refused the same way.
 * The disk never holds the plaintext.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 20, unit = TimeUnit.MINUTES)
class GuestSecureMountTest {

    private static final Duration BOOT_TIMEOUT = Duration.ofMinutes(4);
    private static final Duration CALL_TIMEOUT = Duration.ofMinutes(4);
    private static final Duration POWER_OFF_TIMEOUT = Duration.ofMinutes(1);
    private static final String SECRET = "CVM-PERSISTENT-PLAINTEXT-52c1";
    private static final String KEY_RESOURCE = "default/disk/owner";
    private static final String MOUNT_POINT = "/run/kata-containers/sandbox/storage/volume";
    private static final long DISK_BYTES = 64L * 1024 * 1024;
    private static final byte[] LUKS_MAGIC = {'L', 'U', 'K', 'S', (byte) 0xba, (byte) 0xbe};
    /** root disk vda, init-data disk vdb, then the volume. */
    private static final String DEVICE = "/dev/vdc";

    private KbsPeerFixture kbs;

    @BeforeAll
    void startKbs() throws Exception {
        kbs = KbsPeerFixture.start();
    }

    @AfterAll
    void stopKbs() {
        if (kbs != null) {
            kbs.close();
        }
    }

    @Test
    void theVolumeReopensAcrossBootsWithItsKeyAndRefusesAnother(@TempDir Path dir) throws Exception {
        GuestImage image = GuestImage.ofCheckout();
        image.build(dir.resolve("build.log"));
        int kbsPort = Integer.parseInt(kbs.url().substring(kbs.url().lastIndexOf(':') + 1));
        Path initData = GuestInitData.write(dir.resolve("initdata.toml"), Map.of(
                "cdh.toml", "[kbc]\nname = \"cc_kbc\"\nurl = \"http://" + GuestNetworkRequests.GATEWAY + ":" + kbsPort
                        + "\"\n",
                "policy.rego", GuestInitData.shippedPolicy("allow-all.rego")));
        Path disk = dir.resolve("volume.img");
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.setLength(DISK_BYTES);
        }
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        kbs.putResource(KEY_RESOURCE, key);

        // 1: a blank disk is formatted under the KBS key; a container writes the file
        boot(dir.resolve("boot1"), initData, disk, pod -> assertEquals(0, run(pod, "writer",
                "i=0; while [ $i -lt 500 ]; do echo " + SECRET + "; i=$((i+1)); done > /tmp/secret && sync"),
                "the writer's exit code"));
        byte[] bytes = Files.readAllBytes(disk);
        assertArrayEquals(LUKS_MAGIC, Arrays.copyOf(bytes, LUKS_MAGIC.length), "a LUKS2 header on the disk");
        assertTrue(DiskBytes.indexOf(bytes, SECRET.getBytes(StandardCharsets.US_ASCII)) < 0, "the disk holds the plaintext");
        System.out.println("guest (secure mount): boot 1 formatted the volume and wrote the file");

        // 2: the same disk and key: the volume re-opens and the file is there
        boot(dir.resolve("boot2"), initData, disk, pod -> assertEquals(0, run(pod, "reader",
                "grep -c " + SECRET + " /tmp/secret | grep -qx 500"), "the reader found the file"));
        assertTrue(DiskBytes.indexOf(Files.readAllBytes(disk), SECRET.getBytes(StandardCharsets.US_ASCII)) < 0,
                "the disk holds the plaintext");
        System.out.println("guest (secure mount): boot 2 re-opened the volume and read the file");

        // 3: the KBS serves another key: refused, and the disk is exactly as it was
        byte[] wrong = new byte[32];
        new SecureRandom().nextBytes(wrong);
        kbs.putResource(KEY_RESOURCE, wrong);
        String before = sha256(disk);
        boot(dir.resolve("boot3"), initData, disk, pod -> {
            RpcException e = assertThrows(RpcException.class, () -> run(pod, "wrong-key", "true"));
            assertEquals(Status.Code.FAILED_PRECONDITION, e.code(), e.getMessage());
            assertTrue(e.getMessage().contains("does not open") && e.getMessage().contains("the disk was not changed"),
                    e.getMessage());
            System.out.println("guest (secure mount): boot 3 refused: " + e.code() + ": " + e.getMessage());
        });
        assertEquals(before, sha256(disk), "the disk image changed under a wrong key");

        // 4: the right key again, but the host has dropped integrity from the header's metadata and
        // redone its (unkeyed) checksums: refused before cryptsetup sees it, the disk left as it is
        kbs.putResource(KEY_RESOURCE, key);
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            byte[] area = new byte[64 * 1024];
            f.readFully(area);
            int size = (int) java.nio.ByteBuffer.wrap(area, 8, 8).getLong();
            dropIntegrity(area, 0, size);
            dropIntegrity(area, size, size);
            f.seek(0);
            f.write(area);
        }
        String tampered = sha256(disk);
        boot(dir.resolve("boot4"), initData, disk, pod -> {
            RpcException e = assertThrows(RpcException.class, () -> run(pod, "downgraded", "true"));
            assertEquals(Status.Code.FAILED_PRECONDITION, e.code(), e.getMessage());
            assertTrue(e.getMessage().contains("integrity") && e.getMessage().contains("the disk was not changed"),
                    e.getMessage());
            System.out.println("guest (secure mount): boot 4 refused: " + e.code() + ": " + e.getMessage());
        });
        assertEquals(tampered, sha256(disk), "the disk image changed under a downgraded header");
    }

    /** What a host can do to a LUKS2 header: edit its JSON metadata and redo the unkeyed SHA-256 checksum. */
    private static void dropIntegrity(byte[] area, int at, int size) throws Exception {
        int end = at + 4096;
        while (area[end] != 0) {
            end++;
        }
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        com.fasterxml.jackson.databind.node.ObjectNode meta = (com.fasterxml.jackson.databind.node.ObjectNode)
                json.readTree(new String(area, at + 4096, end - at - 4096, StandardCharsets.UTF_8));
        assertTrue(((com.fasterxml.jackson.databind.node.ObjectNode) meta.path("segments").path("0"))
                .remove("integrity") != null, "the guest formatted the volume with integrity: " + meta);
        byte[] text = json.writeValueAsBytes(meta);
        Arrays.fill(area, at + 4096, at + size, (byte) 0);
        System.arraycopy(text, 0, area, at + 4096, text.length);
        Arrays.fill(area, at + 448, at + 448 + 64, (byte) 0);
        byte[] sum = MessageDigest.getInstance("SHA-256").digest(Arrays.copyOfRange(area, at, at + size));
        System.arraycopy(sum, 0, area, at + 448, sum.length);
    }

    private interface PodSteps {
        void run(PodClient pod) throws Exception;
    }

    private void boot(Path dir, Path initData, Path disk, PodSteps steps) throws Exception {
        Files.createDirectories(dir);
        try (Guest guest = Guest.boot(GuestImage.ofCheckout(), dir, List.of("--initdata", initData.toString(),
                "--scratch-disk", disk.toString()), List.of())) {
            try {
                try (AgentClient client = guest.connect(Duration.ofSeconds(30))) {
                    HealthCheckResponse health = (HealthCheckResponse) client.call(HealthGrpc.getCheckMethod(),
                            CheckRequest.getDefaultInstance(), BOOT_TIMEOUT);
                    assertEquals(HealthCheckResponse.ServingStatus.SERVING, health.getStatus());
                    GuestNetworkRequests.configure(client, CALL_TIMEOUT);
                    PodClient pod = new PodClient(client, CALL_TIMEOUT);
                    pod.createSandbox(GuestPodRequests.sandbox("volume-pod"));
                    steps.run(pod);
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

    /**
     * A container with the persistent volume (a storage of its own, released when it is removed:
     * unmounted and closed) at /tmp (a directory of the read-only busybox rootfs); its exit code.
     */
    private static int run(PodClient pod, String id, String script) throws Exception {
        CreateContainerRequest base = GuestPodRequests.container(id, GuestPodRequests.process("sh", "-c", script));
        pod.createContainer(base.toBuilder().setSandboxPidns(false)
                .addStorages(Storage.newBuilder().setDriver("blk").setSource(DEVICE).setFstype("ext4")
                        .addDriverOptions("encryption_key=kbs:///" + KEY_RESOURCE).setMountPoint(MOUNT_POINT))
                .setOCI(base.getOCI().toBuilder()
                        .addMounts(Mount.newBuilder().setDestination("/tmp").setSource(MOUNT_POINT).setType("bind")
                                .addOptions("rbind").addOptions("rw"))).build());
        pod.startContainer(id);
        int exit = pod.waitProcess(id, "");
        pod.removeContainer(id, 0);
        return exit;
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
