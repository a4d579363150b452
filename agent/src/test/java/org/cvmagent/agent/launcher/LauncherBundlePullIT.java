package org.cvmagent.agent.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cvmagent.image.signature.BundleFixture;
import org.cvmagent.image.testing.EncryptedImages;
import org.cvmagent.image.testing.LocalRegistry;
import org.cvmagent.image.testing.OciLayout;
import org.cvmagent.image.testing.ReferrersRegistry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/cvm-agent-ctl pull IMAGE --policy POLICY.json} with a cosign v3 signature: a keyless
 * Sigstore bundle (made against the test's private Fulcio CA and Rekor key) attached to an image in
 * Debian's docker-registry 2.8 through the referrers tag, a policy naming the owner's trusted root;
 * the command says which verification applied. Also {@code --decryption-key} with an image skopeo
 * encrypted for that key, and bundle-signed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class LauncherBundlePullIT {

    @RegisterExtension
    static final LocalRegistry REGISTRY = new LocalRegistry();

    private static final String MOTD = "signed with a cosign v3 bundle\n";

    private Path work;
    private Launchers launchers;
    private Path registriesD;
    private Path trustedRoot;
    private Path privateKey;

    @BeforeAll
    void pushAndSign(@TempDir Path dir) throws Exception {
        work = dir;
        launchers = Launchers.ofCheckout(dir);
        BundleFixture sigstore = new BundleFixture();
        ReferrersRegistry referrers = new ReferrersRegistry(REGISTRY.host());
        REGISTRY.push(OciLayout.busybox(dir.resolve("signed"), "1", MOTD), "1", "test/bundle");
        String digest = referrers.manifestDigest("test/bundle", "1");
        referrers.attach("test/bundle", digest, sigstore.keylessBundle(digest), true);

        KeyPair key = EncryptedImages.rsa();
        Path publicKey = EncryptedImages.writePublicKey(dir.resolve("enc.pub"), key);
        privateKey = Files.write(dir.resolve("enc.key"), EncryptedImages.privateKeyPem(key));
        REGISTRY.copyEncrypted(OciLayout.busybox(dir.resolve("plain"), "1", "encrypted and signed\n"), "1",
                "docker://" + REGISTRY.host() + "/test/encrypted:1", List.of("jwe:" + publicKey));
        String encDigest = referrers.manifestDigest("test/encrypted", "1");
        referrers.attach("test/encrypted", encDigest, sigstore.keylessBundle(encDigest), true);

        registriesD = Files.createDirectories(dir.resolve("registries.d"));
        Files.writeString(registriesD.resolve("local.yaml"), "docker:\n  " + REGISTRY.host() + ":\n"
                + "    use-sigstore-attachments: true\n");
        trustedRoot = Files.writeString(dir.resolve("trusted_root.json"), sigstore.trustedRoot());
    }

    private Path policy(String email) throws Exception {
        return Files.writeString(Files.createTempFile(work, "policy", ".json"), "{\"default\": [{\"type\": \"sigstoreSigned\","
                + " \"fulcio\": {\"oidcIssuer\": \"" + BundleFixture.ISSUER + "\", \"subjectEmail\": \"" + email + "\"},"
                + " \"trustedRootPath\": \"" + trustedRoot + "\"}]}");
    }

    private Launchers.Result pull(String repository, Path policy, Path store, String... more) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("pull", REGISTRY.host() + "/" + repository + ":1", "--policy",
                policy.toString(), "--registries-d", registriesD.toString(), "--insecure", REGISTRY.host(), "--store",
                store.toString()));
        args.addAll(List.of(more));
        return launchers.ctl(args.toArray(String[]::new));
    }

    @Test
    void aBundleSignedImageIsPulledAndTheVerificationShown() throws Exception {
        Launchers.Result r = pull("test/bundle", policy(BundleFixture.EMAIL), work.resolve("store"));
        assertEquals(0, r.status(), r.toString());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(1).startsWith("signature: cosign bundle v0.3 (DSSE) by Fulcio certificate for "
                + BundleFixture.EMAIL + " (OIDC issuer " + BundleFixture.ISSUER + "), Rekor entry 12345 at "), r.toString());
        Path layer = Path.of(lines.getLast().strip());
        assertEquals(MOTD, Files.readString(layer.resolve("etc/motd")));
    }

    @Test
    void anotherIdentityIsRefused() throws Exception {
        Launchers.Result r = pull("test/bundle", policy("someone-else@example.com"), work.resolve("store-refused"));
        assertEquals(1, r.status(), r.toString());
        assertTrue(r.err().contains("rejected by policy: ") && r.err().contains("identity mismatch")
                || r.err().contains("subject e-mail"), r.toString());
    }

    @Test
    void anEncryptedImageWithTheDecryptionKeyFile() throws Exception {
        Launchers.Result r = pull("test/encrypted", policy(BundleFixture.EMAIL), work.resolve("store-enc"),
                "--decryption-key", privateKey.toString());
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.out().contains("\nsignature: cosign bundle v0.3 (DSSE)"), r.toString());
        assertTrue(r.out().contains(": JWE, configured private key " + privateKey), r.toString());
        Launchers.Result without = pull("test/encrypted", policy(BundleFixture.EMAIL), work.resolve("store-nokey"));
        assertEquals(1, without.status(), without.toString());
        assertTrue(without.err().contains("no decryption key"), without.toString());
    }
}
