package org.cvmagent.image.signature;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.cvmagent.image.SignatureChecks;
import org.cvmagent.image.registry.ImageReference;
import org.cvmagent.image.registry.RegistryClient;
import org.cvmagent.image.registry.RegistryConfig;
import org.cvmagent.image.testing.LocalRegistry;
import org.cvmagent.image.testing.OciLayout;
import org.cvmagent.image.testing.ReferrersRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sigstore bundles found in a registry: Debian's docker-registry 2.8 (no referrers API) through the
 * referrers tag fallback, and the referrers API of an in-test front to the same registry.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BundleRegistryTest {

    @RegisterExtension
    static final LocalRegistry REGISTRY = new LocalRegistry();

    private BundleFixture fx;
    private ReferrersRegistry referrers;
    private String front;
    private Path policy;
    private String taggedDigest;
    private String apiDigest;

    @BeforeAll
    void pushAndAttach(@TempDir Path dir) throws Exception {
        fx = new BundleFixture();
        REGISTRY.push(OciLayout.busybox(dir.resolve("a"), "1", "bundle via referrers tag\n"), "1", "test/tagged");
        REGISTRY.push(OciLayout.busybox(dir.resolve("b"), "1", "bundle via referrers API\n"), "1", "test/api");
        referrers = new ReferrersRegistry(REGISTRY.host());
        taggedDigest = referrers.manifestDigest("test/tagged", "1");
        apiDigest = referrers.manifestDigest("test/api", "1");
        referrers.attach("test/tagged", taggedDigest, fx.keylessBundle(taggedDigest), true);
        referrers.attach("test/api", apiDigest, fx.keylessBundle(apiDigest), false);
        front = referrers.start();
        Path root = Files.writeString(dir.resolve("trusted_root.json"), fx.trustedRoot());
        policy = Files.writeString(dir.resolve("policy.json"), "{\"default\":[{\"type\":\"sigstoreSigned\",\"fulcio\":{"
                + "\"oidcIssuer\":\"" + BundleFixture.ISSUER + "\",\"subjectEmail\":\"" + BundleFixture.EMAIL + "\"},"
                + "\"trustedRootPath\":\"" + root + "\"}]}");
    }

    @AfterAll
    void stop() {
        if (referrers != null) {
            referrers.close();
        }
    }

    private List<String> verify(String host, String repo, String digest, boolean attachments) throws Exception {
        RegistryClient client = new RegistryClient(RegistryConfig.defaults().withInsecureRegistries(Set.of(host)));
        RegistriesConfig registries = attachments
                ? RegistriesConfig.parse(Map.of("r.yaml", ("docker:\n  " + host + ":\n    use-sigstore-attachments: true\n")
                        .getBytes(StandardCharsets.UTF_8)))
                : RegistriesConfig.empty();
        byte[] manifest = client.fetchManifest(ImageReference.parse(host + "/" + repo + ":1")).bytes();
        return new SignaturePolicyVerifier(new PolicyParser().parse(Files.readAllBytes(policy)), (r, d) -> List.of(),
                new SigstoreAttachmentSource(registries, SignatureChecks.reader(client)), new ResourceLoader(uri -> {
                    throw new IOException("no KBS");
                })).verifyDescribing(DockerReference.parse(host + "/" + repo + ":1"), manifest, digest);
    }

    @Test
    void dockerRegistryWithTheReferrersTagFallback() throws Exception {
        String how = verify(REGISTRY.host(), "test/tagged", taggedDigest, true).getFirst();
        assertTrue(how.startsWith("cosign bundle v0.3 (DSSE) by Fulcio certificate for " + BundleFixture.EMAIL), how);
    }

    @Test
    void theFallbackIsOnlyReadWhereRegistriesDAllowsAttachments() {
        SignatureVerificationException e = assertThrows(SignatureVerificationException.class,
                () -> verify(REGISTRY.host(), "test/tagged", taggedDigest, false));
        assertEquals(SignatureVerificationException.Reason.NO_SIGNATURE, e.reason(), e.getMessage());
    }

    @Test
    void referrersApiOfTheStandIn() throws Exception {
        int before = referrers.referrersRequests();
        String how = verify(front, "test/api", apiDigest, false).getFirst();
        assertTrue(how.startsWith("cosign bundle v0.3 (DSSE)"), how);
        assertTrue(referrers.referrersRequests() > before);
    }

    @Test
    void aBundleForAnotherImageIsRefused() throws Exception {
        // the tagged image's bundle, attached to the API image instead of its own
        referrers.attach("test/api", apiDigest, fx.keylessBundle(taggedDigest), false);
        try {
            SignatureVerificationException e = assertThrows(SignatureVerificationException.class,
                    () -> verify(front, "test/api", apiDigest, false));
            assertEquals(SignatureVerificationException.Reason.DIGEST_MISMATCH, e.reason(), e.getMessage());
            assertTrue(e.getMessage().contains("do not include the pulled manifest"), e.getMessage());
        } finally {
            referrers.attach("test/api", apiDigest, fx.keylessBundle(apiDigest), false);
        }
    }
}
