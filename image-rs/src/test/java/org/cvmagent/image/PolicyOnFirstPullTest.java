package org.cvmagent.image;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.cvmagent.image.registry.Digest;
import org.cvmagent.image.registry.ImageReference;
import org.cvmagent.image.signature.DockerReference;
import org.cvmagent.image.signature.KbsResourceUri;
import org.cvmagent.image.signature.RegistryReader;
import org.cvmagent.image.signature.ResourceLoader;
import org.cvmagent.image.signature.SignaturePolicyLoader;
import org.junit.jupiter.api.Test;

/** A kbs:// policy is fetched at the first pull, refuses while it cannot be fetched, and is kept once it was. */
class PolicyOnFirstPullTest {
    private static final RegistryReader NO_REGISTRY = new RegistryReader() {
        @Override
        public Optional<byte[]> manifest(DockerReference repository, String tag) {
            return Optional.empty();
        }

        @Override
        public byte[] blob(DockerReference repository, String digest, long maxBytes) throws IOException {
            throw new IOException("no registry in this test");
        }
    };
    private static final String LOCATION = "kbs:///default/security-policy/test";
    private static final byte[] MANIFEST = "{\"schemaVersion\":2}".getBytes(StandardCharsets.UTF_8);

    private final List<String> fetched = new ArrayList<>();
    private boolean kbsUp;

    private PolicyOnFirstPull verifier(String policyJson) {
        ResourceLoader resources = new ResourceLoader((KbsResourceUri uri) -> {
            fetched.add(uri.toString());
            if (!kbsUp) {
                throw new IOException("connection refused");
            }
            return policyJson.getBytes(StandardCharsets.UTF_8);
        });
        SignaturePolicyLoader loader = new SignaturePolicyLoader(resources, HttpClient::newHttpClient, NO_REGISTRY,
                Duration.ofSeconds(5));
        return new PolicyOnFirstPull(LOCATION, () -> loader.load(LOCATION, null));
    }

    private static void pull(PolicyOnFirstPull verifier, String image) throws ImageRejectedException {
        verifier.verify(ImageReference.parse(image), MANIFEST, "application/vnd.oci.image.manifest.v1+json",
                Digest.sha256(MANIFEST));
    }

    @Test
    void refusesUntilThePolicyCanBeFetchedThenKeepsIt() {
        PolicyOnFirstPull verifier = verifier("{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":"
                + "{\"registry.example/allowed\":[{\"type\":\"insecureAcceptAnything\"}]}}}");
        ImageRejectedException down = assertThrows(ImageRejectedException.class,
                () -> pull(verifier, "registry.example/allowed:1"));
        assertTrue(down.getMessage().contains(LOCATION + " is unavailable") && down.getMessage().contains(
                "connection refused"), down.getMessage());
        kbsUp = true;
        assertDoesNotThrow(() -> pull(verifier, "registry.example/allowed:1"));
        ImageRejectedException rejected = assertThrows(ImageRejectedException.class,
                () -> pull(verifier, "registry.example/other:1"));
        assertTrue(rejected.getMessage().contains("reject"), rejected.getMessage());
        assertEquals(List.of(LOCATION, LOCATION), fetched, "fetched again after the failure, then kept");
    }

    @Test
    void aMalformedPolicyRefusesEveryPull() {
        kbsUp = true;
        PolicyOnFirstPull verifier = verifier("{\"default\": \"not a list\"}");
        ImageRejectedException e = assertThrows(ImageRejectedException.class,
                () -> pull(verifier, "registry.example/allowed:1"));
        assertTrue(e.getMessage().contains("invalid policy") || e.getMessage().contains("default"), e.getMessage());
    }
}
