package org.cvmagent.rootfs;

import org.cvmagent.agent.cli.AgentClient;
import org.cvmagent.agent.cli.PodClient;
import org.cvmagent.image.testing.LocalRegistry;
import org.cvmagent.image.testing.OciLayout;
import org.cvmagent.proto.agent.AgentServiceGrpc;
import org.cvmagent.proto.agent.GetIPTablesRequest;
import org.cvmagent.proto.agent.GetIPTablesResponse;
import org.cvmagent.proto.agent.SetIPTablesRequest;
import org.cvmagent.proto.agent.CheckRequest;
import org.cvmagent.proto.agent.CreateContainerRequest;
import org.cvmagent.proto.agent.CreateSandboxRequest;
import org.cvmagent.proto.agent.HealthCheckResponse;
import org.cvmagent.proto.agent.HealthGrpc;
import org.cvmagent.proto.agent.Routes;
import org.cvmagent.proto.agent.Storage;
import org.cvmagent.proto.types.Interface;
import org.cvmagent.proto.types.Route;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * An image pulled inside the guest: the host configures the guest's NIC on QEMU's user network
 * with UpdateInterface and UpdateRoutes, then runs a pod whose sandbox container uses the image's
 * pause bundle and whose app container's rootfs is pulled by the agent (kata's
 * {@code image_guest_pull} driver) over plain HTTP from a docker-registry on the host, which the
 * guest reaches as 10.0.2.2. The owner's init-data puts the layer store on a disk of the host
 * ({@code image_store_device}, issue 18): the agent formats it as LUKS2 + dm-integrity under a key of
 * this boot at the first pull, and once the VM is off the host's file holds a LUKS2 header and not
 * the plaintext of a file of the image's layer. Fails, never skips, without QEMU, docker-registry or
 * skopeo.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class GuestImagePullTest {

    @RegisterExtension
    static final LocalRegistry REGISTRY = new LocalRegistry();

    private static final Duration BOOT_TIMEOUT = Duration.ofMinutes(4);
    private static final Duration CALL_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration POWER_OFF_TIMEOUT = Duration.ofMinutes(1);
    private static final String MOTD = "pulled in the guest over QEMU's user network\n";
    private static final int SIGTERM = 15;
    /** The layer store's disk: the third virtio-blk disk after the root disk and the init-data disk. */
    private static final String STORE_DEVICE = "/dev/vdc";
    private static final long STORE_DISK_BYTES = 64L * 1024 * 1024;
    private static final byte[] LUKS_MAGIC = {'L', 'U', 'K', 'S', (byte) 0xba, (byte) 0xbe};

    @TempDir
    Path dir;

    @BeforeAll
    static void pushBusybox(@TempDir Path layouts) throws Exception {
        OciLayout layout = OciLayout.busybox(layouts.resolve("busybox"), "1", MOTD);
        REGISTRY.push(layout, "1", "test/busybox");
    }

    /** The registry as the guest sees it: QEMU's user-network gateway forwards to the host's loopback. */
    private static String registryFromGuest() {
        return GuestNetworkRequests.GATEWAY + ":" + REGISTRY.port();
    }

    @Test
    void aContainerRunsFromAnImagePulledInTheGuestFromTheHostsRegistry() throws Exception {
        GuestImage image = GuestImage.ofCheckout();
        image.build(dir.resolve("build.log"));
        // The owner's init-data, on a kata-style init-data disk: the registry to speak plain HTTP to
        // (the host's command line can no longer say so) and a policy that lets the host read the
        // app's output, and the host disk for the encrypted layer store.
        Path initData = GuestInitData.write(dir.resolve("initdata.toml"), java.util.Map.of(
                "cdh.toml", "[kbc]\nname = \"cc_kbc\"\nurl = \"http://10.0.2.2:1\"\n\n[image]\n"
                        + "insecure_registries = [\"" + registryFromGuest() + "\"]\n"
                        + "image_store_device = \"" + STORE_DEVICE + "\"\n",
                "policy.rego", GuestInitData.shippedPolicy("allow-all.rego")));
        Path storeDisk = dir.resolve("image-store.img");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(storeDisk.toFile(), "rw")) {
            f.setLength(STORE_DISK_BYTES);
        }
        try (Guest guest = Guest.boot(image, dir, List.of("--initdata", initData.toString(),
                "--scratch-disk", storeDisk.toString()), List.of())) {
            try {
                try (AgentClient client = guest.connect(Duration.ofSeconds(30))) {
                    HealthCheckResponse health = (HealthCheckResponse) client.call(HealthGrpc.getCheckMethod(),
                            CheckRequest.getDefaultInstance(), BOOT_TIMEOUT);
                    assertEquals(HealthCheckResponse.ServingStatus.SERVING, health.getStatus());
                    System.out.printf("guest (network): boot-to-SERVING %.1f s%n", guest.sinceStart().toMillis() / 1000.0);
                    GuestNetworkRequests.configure(client, CALL_TIMEOUT);
                    runPulledPod(new PodClient(client, CALL_TIMEOUT));
                }
                if (!guest.awaitExit(POWER_OFF_TIMEOUT)) {
                    fail("the guest did not power off within " + POWER_OFF_TIMEOUT + " of DestroySandbox");
                }
                assertEquals(Optional.of(0), guest.exitCode(), "QEMU's exit code after the guest powered off");
                java.util.regex.Matcher store = guest.awaitConsole(java.util.regex.Pattern.compile(
                        "image layer store on encrypted " + STORE_DEVICE + "[^\"]*"), Duration.ZERO).orElseThrow(
                        () -> new AssertionError("no report on the console that the store is on the encrypted disk"));
                System.out.println("guest (image pull): " + store.group());
                // the VM is off (the agent synced before powering off): what the host keeps is ciphertext
                byte[] bytes = Files.readAllBytes(storeDisk);
                assertTrue(java.util.Arrays.equals(LUKS_MAGIC, java.util.Arrays.copyOf(bytes, LUKS_MAGIC.length)),
                        "a LUKS2 header on the image store's disk");
                assertTrue(DiskBytes.indexOf(bytes, MOTD.getBytes(StandardCharsets.UTF_8)) < 0,
                        "the host's disk holds the plaintext of the image's /etc/motd");
            } catch (AssertionError | Exception e) {
                System.out.println("guest console (" + dir.resolve("console.log") + "):\n" + guest.console());
                throw e;
            }
        }
    }

    /**
     * A pause container from the image's pause bundle and an app pulled from the host's registry;
     * the app's exit code and output are readable under the owner's policy from init-data; the
     * pause process exits 0 on SIGTERM.
     */
    private static void runPulledPod(PodClient pod) throws Exception {
        pod.createSandbox(CreateSandboxRequest.newBuilder().setSandboxId("pull-pod").setHostname("guest-pod")
                .setSandboxPidns(true).build());
        pod.createContainer(GuestPodRequests.pulled("pull-pod", "sandbox", "pause", GuestPodRequests.process("/pause")));
        pod.startContainer("pull-pod");
        pod.createContainer(GuestPodRequests.pulled("app", "container", registryFromGuest() + "/test/busybox:1",
                GuestPodRequests.process("cat", "/etc/motd")));
        pod.startContainer("app");
        assertEquals(0, pod.waitProcess("app", ""), "the pulled app's exit code");
        assertEquals(MOTD, new String(pod.readAll("app", "", true), StandardCharsets.UTF_8));
        pod.signal("pull-pod", "", SIGTERM);
        assertEquals(0, pod.waitProcess("pull-pod", ""), "the pause process's exit code after SIGTERM");
        pod.removeContainer("app", 0);
        pod.removeContainer("pull-pod", 0);
        pod.destroySandbox();
    }
}
