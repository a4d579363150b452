package org.cvmagent.rootfs;

import io.grpc.Status;
import org.cvmagent.agent.cli.AgentClient;
import org.cvmagent.agent.cli.PodClient;
import org.cvmagent.attestation.kbs.KbsPeerFixture;
import org.cvmagent.image.registry.Descriptor;
import org.cvmagent.image.registry.Digest;
import org.cvmagent.image.registry.ImageReference;
import org.cvmagent.image.registry.Platform;
import org.cvmagent.image.registry.RegistryClient;
import org.cvmagent.image.registry.RegistryConfig;
import org.cvmagent.image.testing.EncryptedImages;
import org.cvmagent.image.testing.LocalRegistry;
import org.cvmagent.image.testing.OciLayout;
import org.cvmagent.proto.agent.CheckRequest;
import org.cvmagent.proto.agent.CreateContainerRequest;
import org.cvmagent.proto.agent.CreateSandboxRequest;
import org.cvmagent.proto.agent.HealthCheckResponse;
import org.cvmagent.proto.agent.HealthGrpc;
import org.cvmagent.proto.agent.Mount;
import org.cvmagent.rpc.RpcException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Encrypted images (ocicrypt JWE layers, as skopeo writes them) pulled and run in the guest. The
 * owner's init-data (cdh.toml on a kata-style init-data disk) names the private key as a KBS
 * resource and requires encrypted layers; the host runs the KBS (sample TEE) and a docker-registry
 * holding four images built from one busybox layout: encrypted to the owner's key, encrypted to a
 * stranger's key, encrypted to the owner's key with one ciphertext byte flipped and every digest
 * rewritten to match (so only the layer's HMAC can tell), and unencrypted. One boot checks them
 * all: the owner's image is refused while the KBS lacks the key, runs once the KBS has it, and the
 * others are refused naming the layer and the reason. The app container, run last, lists the
 * guest's layer store: only the owner's layer was unpacked, and no staged ciphertext is left.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class GuestEncryptedImageTest {

    @RegisterExtension
    static final LocalRegistry REGISTRY = new LocalRegistry();

    private static final Duration BOOT_TIMEOUT = Duration.ofMinutes(4);
    private static final Duration CALL_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration POWER_OFF_TIMEOUT = Duration.ofMinutes(1);
    private static final String MOTD = "encrypted for the pod's owner, decrypted in the guest\n";
    private static final String KEY_RESOURCE = "default/image-key/owner";
    /** The agent's layer store in the guest: its state directory's {@code images/store} (rootfs/agent.toml keeps the default). */
    private static final String GUEST_STORE = "/run/cvm-agent/images/store";

    private KbsPeerFixture kbs;
    private KeyPair owner;
    private Digest ownersLayer;
    private Digest strangersLayer;
    private Digest tamperedLayer;
    private Digest plainLayer;

    @BeforeAll
    void pushImages(@TempDir Path dir) throws Exception {
        owner = EncryptedImages.rsa();
        Path ownerPub = EncryptedImages.writePublicKey(dir.resolve("owner.pub.pem"), owner);
        Path strangerPub = EncryptedImages.writePublicKey(dir.resolve("stranger.pub.pem"), EncryptedImages.rsa());
        OciLayout busybox = OciLayout.busybox(dir.resolve("busybox"), "1", MOTD);
        REGISTRY.push(busybox, "1", "test/plain");
        REGISTRY.copyEncrypted(busybox, "1", "docker://" + REGISTRY.host() + "/test/encrypted:1",
                List.of("jwe:" + ownerPub));
        REGISTRY.copyEncrypted(busybox, "1", "docker://" + REGISTRY.host() + "/test/stranger:1",
                List.of("jwe:" + strangerPub));
        Path tampered = dir.resolve("tampered");
        REGISTRY.copyEncrypted(busybox, "1", "oci:" + tampered + ":1", List.of("jwe:" + ownerPub));
        tamperedLayer = EncryptedImages.reDigestTamperedFirstLayer(tampered);
        REGISTRY.push(new OciLayout(tampered), "1", "test/tampered");
        ownersLayer = onlyLayer("test/encrypted:1");
        strangersLayer = onlyLayer("test/stranger:1");
        plainLayer = onlyLayer("test/plain:1");
        assertEquals(tamperedLayer, onlyLayer("test/tampered:1"), "the registry serves the re-digested layer");
        // The KBS starts without the owner's key: the first pull must find it missing.
        kbs = KbsPeerFixture.start();
    }

    @AfterAll
    void stop() {
        if (kbs != null) {
            kbs.close();
        }
    }

    /** The one layer of an image in the host's registry, as the guest will see it listed. */
    private static Digest onlyLayer(String repoTag) throws Exception {
        RegistryClient client = new RegistryClient(RegistryConfig.defaults().withPlatform(Platform.LINUX_AMD64)
                .withInsecureRegistries(Set.of(REGISTRY.host())));
        List<Descriptor> layers = client.resolve(ImageReference.parse(REGISTRY.host() + "/" + repoTag)).manifest().layers();
        assertEquals(1, layers.size(), repoTag + "'s layers");
        return Digest.parse(layers.get(0).digest());
    }

    /** The registry as the guest sees it: QEMU's user-network gateway forwards to the host's loopback. */
    private static String registryFromGuest() {
        return GuestNetworkRequests.GATEWAY + ":" + REGISTRY.port();
    }

    @Test
    void theOwnersEncryptedImageRunsAndEveryOtherIsRefusedWithNothingUnpacked(@TempDir Path dir) throws Exception {
        GuestImage image = GuestImage.ofCheckout();
        image.build(dir.resolve("build.log"));
        int kbsPort = Integer.parseInt(kbs.url().substring(kbs.url().lastIndexOf(':') + 1));
        Path initData = GuestInitData.write(dir.resolve("initdata.toml"), Map.of(
                "cdh.toml", "[kbc]\nname = \"cc_kbc\"\nurl = \"http://" + GuestNetworkRequests.GATEWAY + ":" + kbsPort
                        + "\"\n\n[image]\ninsecure_registries = [\"" + registryFromGuest() + "\"]\n"
                        + "image_decryption_key_uri = \"kbs:///" + KEY_RESOURCE + "\"\n"
                        + "require_encrypted_layers = true\n",
                "policy.rego", GuestInitData.shippedPolicy("allow-all.rego")));
        try (Guest guest = Guest.boot(image, dir, List.of("--initdata", initData.toString()), List.of())) {
            try {
                try (AgentClient client = guest.connect(Duration.ofSeconds(30))) {
                    HealthCheckResponse health = (HealthCheckResponse) client.call(HealthGrpc.getCheckMethod(),
                            CheckRequest.getDefaultInstance(), BOOT_TIMEOUT);
                    assertEquals(HealthCheckResponse.ServingStatus.SERVING, health.getStatus());
                    System.out.printf("guest (encrypted images): boot-to-SERVING %.1f s%n",
                            guest.sinceStart().toMillis() / 1000.0);
                    GuestNetworkRequests.configure(client, CALL_TIMEOUT);
                    runPod(new PodClient(client, CALL_TIMEOUT));
                }
                if (!guest.awaitExit(POWER_OFF_TIMEOUT)) {
                    fail("the guest did not power off within " + POWER_OFF_TIMEOUT + " of DestroySandbox");
                }
                assertEquals(Optional.of(0), guest.exitCode(), "QEMU's exit code after the guest powered off");
                System.out.printf("guest (encrypted images): whole boot %.1f s%n", guest.sinceStart().toMillis() / 1000.0);
            } catch (AssertionError | Exception e) {
                System.out.println("guest console (" + dir.resolve("console.log") + "):\n" + guest.console());
                throw e;
            }
        }
    }

    private void runPod(PodClient pod) throws Exception {
        pod.createSandbox(CreateSandboxRequest.newBuilder().setSandboxId("enc-pod").setHostname("guest-pod")
                .setSandboxPidns(true).build());
        pod.createContainer(GuestPodRequests.pulled("enc-pod", "sandbox", "pause", GuestPodRequests.process("/pause")));
        pod.startContainer("enc-pod");

        // Refused by the owner's rule before any key is looked at.
        assertRefused(pod, "plain", "test/plain:1", Status.Code.PERMISSION_DENIED,
                "layer " + plainLayer + ": not encrypted: ");
        // The owner's image while the KBS lacks its key: a failed key load refuses this pull only.
        assertRefused(pod, "no-key", "test/encrypted:1", Status.Code.FAILED_PRECONDITION,
                "layer " + ownersLayer + ": no key: the decryption key kbs:///" + KEY_RESOURCE + " is unavailable");
        kbs.putResource(KEY_RESOURCE, EncryptedImages.privateKeyPem(owner));
        assertRefused(pod, "stranger", "test/stranger:1", Status.Code.FAILED_PRECONDITION,
                "layer " + strangersLayer + ": wrong key: ");
        assertRefused(pod, "tampered", "test/tampered:1", Status.Code.FAILED_PRECONDITION,
                "layer " + tamperedLayer + ": tampered: the ciphertext does not match its HMAC");

        // The owner's image, now that the KBS releases the key. Its content proves the decryption;
        // the store it lists (read-only) proves the refused images left nothing: one layer, the
        // owner's, and no staged ciphertext.
        CreateContainerRequest app = GuestPodRequests.pulled("app", "container", registryFromGuest() + "/test/encrypted:1",
                GuestPodRequests.process("sh", "-c", "cat /etc/motd; echo layers: $(busybox ls /store/layers/sha256);"
                        + " echo staging: $(busybox ls -A /store/tmp || echo unreadable); exit 7"));
        app = app.toBuilder().setOCI(app.getOCI().toBuilder().addMounts(Mount.newBuilder().setDestination("/store")
                .setSource(GUEST_STORE).setType("bind").addOptions("rbind").addOptions("ro"))).build();
        pod.createContainer(app);
        pod.startContainer("app");
        assertEquals(7, pod.waitProcess("app", ""), "the decrypted app's exit code");
        assertEquals(MOTD + "layers: " + ownersLayer.hex() + "\nstaging:\n",
                new String(pod.readAll("app", "", true), StandardCharsets.UTF_8));
        pod.removeContainer("app", 0);
        pod.destroySandbox();
    }

    private void assertRefused(PodClient pod, String id, String repoTag, Status.Code code, String reason) {
        String reference = registryFromGuest() + "/" + repoTag;
        RpcException e = assertThrows(RpcException.class, () -> pod.createContainer(GuestPodRequests.pulled(
                id, "container", reference, GuestPodRequests.process("true"))), reference);
        assertEquals(code, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains(reason), e.getMessage());
        // the guest's own words in the build log: what an owner would read in the shim's error
        System.out.println("guest (encrypted images): " + id + " refused: " + e.code() + ": " + e.getMessage());
    }
}
