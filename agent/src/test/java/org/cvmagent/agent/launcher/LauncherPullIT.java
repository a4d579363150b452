package org.cvmagent.agent.launcher;

import org.cvmagent.image.testing.GpgFixture;
import org.cvmagent.image.testing.LocalRegistry;
import org.cvmagent.image.testing.OciLayout;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code bin/cvm-agent-ctl pull IMAGE --policy POLICY.json} as an operator runs it, against a local
 * docker-registry: a signedBy policy (GPG, a trusted public key file) with signatures in a file
 * lookaside store named by registries.d; skopeo pushed one image signed there and one unsigned.
 * The policy and registries.d are read with the YAML and PGP libraries of agent/target/lib.
 * Fails, never skips, without docker-registry, skopeo or gpg (scripts/setup installs them).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class LauncherPullIT {

    @RegisterExtension
    static final LocalRegistry REGISTRY = new LocalRegistry();

    private static final String MOTD = "pulled by the shipped cvm-agent-ctl\n";

    private Path work;
    private GpgFixture signer;
    private Launchers launchers;
    private Path policy;
    private Path registriesD;

    @BeforeAll
    void pushSignedAndUnsignedImages(@TempDir Path dir) throws Exception {
        work = dir;
        launchers = Launchers.ofCheckout(dir);
        signer = GpgFixture.create(dir.resolve("gpg"), "Image Signer <signer@example.com>");
        // skopeo writes signatures to lookaside-staging, the puller reads them from lookaside: one store
        registriesD = Files.createDirectories(dir.resolve("registries.d"));
        Files.writeString(registriesD.resolve("local.yaml"), "docker:\n  " + REGISTRY.host() + ":\n"
                + "    lookaside: file://" + dir.resolve("lookaside") + "\n"
                + "    lookaside-staging: file://" + dir.resolve("lookaside") + "\n");
        REGISTRY.pushSigned(OciLayout.busybox(dir.resolve("signed"), "1", MOTD), "1", "test/signed", signer, registriesD);
        REGISTRY.push(OciLayout.busybox(dir.resolve("unsigned"), "1", "not signed\n"), "1", "test/unsigned");
        Path key = dir.resolve("signer.gpg");
        Files.write(key, signer.exportPublicKey(false));
        policy = Files.writeString(dir.resolve("policy.json"), "{\"default\": [{\"type\": \"signedBy\","
                + " \"keyType\": \"GPGKeys\", \"keyPath\": \"" + key + "\"}]}");
    }

    @AfterAll
    void stopGpgAgent() throws Exception {
        if (signer != null) {
            signer.close();
        }
    }

    private Launchers.Result pull(String repository, Path store) throws Exception {
        return launchers.ctl("pull", REGISTRY.host() + "/" + repository + ":1", "--policy", policy.toString(),
                "--registries-d", registriesD.toString(), "--insecure", REGISTRY.host(), "--store", store.toString());
    }

    @Test
    void anImageSignedByTheTrustedKeyIsPulledAndUnpacked() throws Exception {
        Path store = work.resolve("store-signed");
        Launchers.Result r = pull("test/signed", store);
        assertEquals(0, r.status(), r.toString());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.getFirst().startsWith("pulled " + REGISTRY.host() + "/test/signed:1@sha256:")
                && lines.getFirst().contains("(1 layer, config sha256:"), r.toString());
        assertTrue(lines.get(1).startsWith("signature: gpg simple signing by a key of " + work.resolve("signer.gpg")
                + ", identity " + REGISTRY.host() + "/test/signed:1"), r.toString());
        assertEquals("unpacked layers, bottom to top:", lines.get(2), r.toString());
        assertEquals(4, lines.size(), r.toString());
        Path layer = Path.of(lines.get(3).strip());
        assertTrue(layer.startsWith(store.toRealPath()), r.toString());
        assertEquals(MOTD, Files.readString(layer.resolve("etc/motd")), "the listed directory is the unpacked layer");
    }

    @Test
    void anUnsignedImageIsRefusedBeforeAnyLayerIsFetched() throws Exception {
        Path store = work.resolve("store-unsigned");
        Launchers.Result r = pull("test/unsigned", store);
        assertEquals(1, r.status(), r.toString());
        assertEquals("", r.out(), r.toString());
        assertTrue(r.err().contains("cvm-agent-ctl: pull " + REGISTRY.host() + "/test/unsigned:1 failed: rejected by policy: ")
                && r.err().contains("no signature"), r.toString());
        try (Stream<Path> layers = Files.walk(store).filter(p -> p.getFileName().toString().equals("diff"))) {
            assertEquals(0, layers.count(), "no layer was unpacked");
        }
    }

    @Test
    void helpNeitherPullsNorCreatesAStore() throws Exception {
        Path store = work.resolve("store-help");
        Launchers.Result r = launchers.ctl("pull", "--help", "--store", store.toString());
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.out().startsWith("usage: cvm-agent-ctl pull IMAGE"), r.toString());
        assertFalse(Files.exists(store), "pull --help created " + store);
    }
}
