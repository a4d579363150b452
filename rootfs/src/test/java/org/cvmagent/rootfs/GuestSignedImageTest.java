package org.cvmagent.rootfs;

import com.sun.net.httpserver.HttpServer;
import org.cvmagent.agent.cli.AgentClient;
import org.cvmagent.agent.cli.PodClient;
import org.cvmagent.attestation.kbs.KbsPeerFixture;
import org.cvmagent.image.testing.GpgFixture;
import org.cvmagent.image.testing.LocalRegistry;
import org.cvmagent.image.testing.OciLayout;
import org.cvmagent.proto.agent.CheckRequest;
import org.cvmagent.proto.agent.CreateSandboxRequest;
import org.cvmagent.proto.agent.HealthCheckResponse;
import org.cvmagent.proto.agent.HealthGrpc;
import org.cvmagent.rpc.RpcException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Image signatures checked in the guest, configured the CoCo way: the pod owner's init-data
 * (on a kata-style init-data disk) has a cdh.toml naming a KBS and, in it, the containers-policy.json
 * (GPG signedBy, the owner's key inline) and the registries.d with the lookaside store. The host
 * runs a docker-registry holding an image skopeo signed and one it did not, an HTTP lookaside
 * store, and a KBS (Trustee's protocol) that releases the resources to the guest's sample TEE.
 * The host also tries the review's attack: {@code agent.image_policy_file=/dev/vdc}, a disk of its
 * own holding {@code insecureAcceptAnything}. The signed image runs; the unsigned one is refused.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class GuestSignedImageTest {

    @RegisterExtension
    static final LocalRegistry REGISTRY = new LocalRegistry();

    private static final Duration BOOT_TIMEOUT = Duration.ofMinutes(4);
    private static final Duration CALL_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration POWER_OFF_TIMEOUT = Duration.ofMinutes(1);
    private static final String MOTD = "signed by the pod's owner, verified in the guest\n";

    private GpgFixture signer;
    private HttpServer lookaside;
    private KbsPeerFixture kbs;

    @BeforeAll
    void pushImagesAndServeTheOwnersResources(@TempDir Path dir) throws Exception {
        signer = GpgFixture.create(dir.resolve("gpg"), "Pod Owner <owner@example.com>");
        Path store = Files.createDirectories(dir.resolve("lookaside"));
        Path registriesD = Files.createDirectories(dir.resolve("registries.d"));
        Files.writeString(registriesD.resolve("staging.yaml"), "docker:\n  " + REGISTRY.host() + ":\n"
                + "    lookaside-staging: file://" + store + "\n");
        REGISTRY.pushSigned(OciLayout.busybox(dir.resolve("signed"), "1", MOTD), "1", "test/signed", signer, registriesD);
        REGISTRY.push(OciLayout.busybox(dir.resolve("unsigned"), "1", "not signed\n"), "1", "test/unsigned");
        lookaside = serveFiles(store);
        kbs = KbsPeerFixture.start();
        // What the owner keeps in the KBS: the signature policy (the signer's public key inline;
        // skopeo signed the host's name for the registry, the guest pulls through QEMU's gateway)
        // and where the signatures are.
        kbs.putResource("default/security-policy/test", ("{\"default\": [{\"type\": \"signedBy\", \"keyType\": "
                + "\"GPGKeys\", \"keyData\": \"" + Base64.getEncoder().encodeToString(signer.exportPublicKey(false))
                + "\", \"signedIdentity\": {\"type\": \"remapIdentity\", \"prefix\": \"" + registryFromGuest()
                + "\", \"signedPrefix\": \"" + REGISTRY.host() + "\"}}]}").getBytes(StandardCharsets.UTF_8));
        kbs.putResource("default/sigstore-config/test", ("docker:\n  " + registryFromGuest() + ":\n"
                + "    lookaside: http://" + GuestNetworkRequests.GATEWAY + ":" + lookaside.getAddress().getPort() + "\n")
                .getBytes(StandardCharsets.UTF_8));
    }

    @AfterAll
    void stop() throws Exception {
        if (lookaside != null) {
            lookaside.stop(0);
        }
        if (kbs != null) {
            kbs.close();
        }
        if (signer != null) {
            signer.close();
        }
    }

    /** The registry as the guest sees it: QEMU's user-network gateway forwards to the host's loopback. */
    private static String registryFromGuest() {
        return GuestNetworkRequests.GATEWAY + ":" + REGISTRY.port();
    }

    @Test
    void theOwnersSignaturePolicyFromInitDataDecidesAndTheHostsCannotReplaceIt(@TempDir Path dir) throws Exception {
        GuestImage image = GuestImage.ofCheckout();
        image.build(dir.resolve("build.log"));
        int kbsPort = Integer.parseInt(kbs.url().substring(kbs.url().lastIndexOf(':') + 1));
        Path initData = GuestInitData.write(dir.resolve("initdata.toml"), java.util.Map.of(
                "cdh.toml", "[kbc]\nname = \"cc_kbc\"\nurl = \"http://" + GuestNetworkRequests.GATEWAY + ":" + kbsPort
                        + "\"\n\n[image]\nimage_security_policy_uri = \"kbs:///default/security-policy/test\"\n"
                        + "sigstore_config_uri = \"kbs:///default/sigstore-config/test\"\n"
                        + "insecure_registries = [\"" + registryFromGuest() + "\"]\n",
                "policy.rego", GuestInitData.shippedPolicy("allow-all.rego")));
        Path hostDisk = dir.resolve("accept-anything.img");
        Files.writeString(hostDisk, "{\"default\": [{\"type\": \"insecureAcceptAnything\"}]}" + " ".repeat(512));
        try (Guest guest = Guest.boot(image, dir, List.of("--initdata", initData.toString(), "--disk", hostDisk.toString()),
                List.of("agent.image_policy_file=/dev/vdc"))) {
            try {
                try (AgentClient client = guest.connect(Duration.ofSeconds(30))) {
                    HealthCheckResponse health = (HealthCheckResponse) client.call(HealthGrpc.getCheckMethod(),
                            CheckRequest.getDefaultInstance(), BOOT_TIMEOUT);
                    assertEquals(HealthCheckResponse.ServingStatus.SERVING, health.getStatus());
                    GuestNetworkRequests.configure(client, CALL_TIMEOUT);
                    runPod(new PodClient(client, CALL_TIMEOUT));
                }
                if (!guest.awaitExit(POWER_OFF_TIMEOUT)) {
                    fail("the guest did not power off within " + POWER_OFF_TIMEOUT + " of DestroySandbox");
                }
                assertEquals(Optional.of(0), guest.exitCode());
                assertTrue(guest.console().contains("ignoring kernel command line parameter agent.image_policy_file"),
                        "the host's policy disk named as ignored");
            } catch (AssertionError | Exception e) {
                System.out.println("guest console (" + dir.resolve("console.log") + "):\n" + guest.console());
                throw e;
            }
        }
    }

    private static void runPod(PodClient pod) throws Exception {
        pod.createSandbox(CreateSandboxRequest.newBuilder().setSandboxId("signed-pod").setHostname("guest-pod")
                .setSandboxPidns(true).build());
        pod.createContainer(GuestPodRequests.pulled("signed-pod", "sandbox", "pause", GuestPodRequests.process("/pause")));
        pod.startContainer("signed-pod");
        pod.createContainer(GuestPodRequests.pulled("app", "container", registryFromGuest() + "/test/signed:1",
                GuestPodRequests.process("cat", "/etc/motd")));
        pod.startContainer("app");
        assertEquals(0, pod.waitProcess("app", ""), "the signed app's exit code");
        assertEquals(MOTD, new String(pod.readAll("app", "", true), StandardCharsets.UTF_8));
        RpcException unsigned = assertThrows(RpcException.class, () -> pod.createContainer(GuestPodRequests.pulled(
                "unsigned", "container", registryFromGuest() + "/test/unsigned:1", GuestPodRequests.process("true"))));
        assertTrue(unsigned.getMessage().contains("rejected by policy"), unsigned.getMessage());
        pod.removeContainer("app", 0);
        pod.destroySandbox();
    }

    /** A lookaside store over HTTP, as sigstore servers publish one: GET of a file under {@code root}. */
    private static HttpServer serveFiles(Path root) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            Path file = root.resolve(exchange.getRequestURI().getPath().substring(1)).normalize();
            if (!file.startsWith(root) || !Files.isRegularFile(file)) {
                exchange.sendResponseHeaders(404, -1);
                exchange.close();
                return;
            }
            byte[] body = Files.readAllBytes(file);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        return server;
    }
}
