package org.cvmagent.image.signature;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The cost of a sigstore (cosign, ECDSA P-256 key) policy decision on a pull: attachment lookup,
 * payload digest check, signature verification, identity and digest claims. The attachments are
 * served from memory, so the figure is the verifier's own work; the two GETs a registry adds are
 * the size of a manifest request.
 */
public final class SigstoreVerifyBench {
    private SigstoreVerifyBench() {
    }

    /** Median nanoseconds of one verify, after warm-up. */
    public static long medianVerifyNanos(Path work, int rounds) throws Exception {
        OciImage image = OciImage.create(work.resolve("sig-img"), "v1", "bench");
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair key = g.generateKeyPair();
        CosignAttachments registry = new CosignAttachments();
        String ref = "registry.example.com/ns/app:v1";
        registry.attach(image.manifestDigest(), key.getPrivate(), ref, image.manifestDigest());
        Path pub = Files.writeString(work.resolve("cosign.pub"), "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder().encodeToString(key.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n");
        Policy policy = new PolicyParser().parse(("{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"" + pub
                + "\"}]}").getBytes(StandardCharsets.UTF_8));
        RegistriesConfig registries = RegistriesConfig.parse(Map.of("bench.yaml",
                "docker:\n  registry.example.com:\n    use-sigstore-attachments: true\n".getBytes(StandardCharsets.UTF_8)));
        SignaturePolicyVerifier verifier = new SignaturePolicyVerifier(policy, (r, d) -> List.of(),
                new SigstoreAttachmentSource(registries, registry), new ResourceLoader(uri -> {
                    throw new IOException("no KBS in the bench");
                }));
        DockerReference reference = DockerReference.parse(ref);
        for (int i = 0; i < 200; i++) {
            verifier.verify(reference, image.manifest(), image.manifestDigest());
        }
        long[] times = new long[rounds];
        for (int i = 0; i < rounds; i++) {
            long start = System.nanoTime();
            verifier.verify(reference, image.manifest(), image.manifestDigest());
            times[i] = System.nanoTime() - start;
        }
        Arrays.sort(times);
        return times[rounds / 2];
    }
}
