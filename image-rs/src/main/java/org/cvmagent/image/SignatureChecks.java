package org.cvmagent.image;

import java.io.IOException;
import java.util.Optional;
import org.cvmagent.image.registry.Digest;
import org.cvmagent.image.registry.ImageReference;
import org.cvmagent.image.registry.RegistryClient;
import org.cvmagent.image.registry.RegistryException;
import org.cvmagent.image.signature.DockerReference;
import org.cvmagent.image.signature.RegistryReader;
import org.cvmagent.image.signature.SignaturePolicyVerifier;
import org.cvmagent.image.signature.SignatureVerificationException;

/**
 * Joins the puller to the signature policy: the policy verifier runs as the puller's manifest hook
 * (before any layer is fetched), and reads sigstore attachments through the puller's own registry
 * client, with its authentication and TLS settings.
 */
public final class SignatureChecks {
    private SignatureChecks() {
    }

    /** The policy as the puller's hook; a refusal names the policy's reason. */
    public static ManifestVerifier verifier(SignaturePolicyVerifier policy) {
        return verifier(policy, how -> { });
    }

    /** As above; {@code report} is told how the policy accepted each image (format and identity per requirement). */
    public static ManifestVerifier verifier(SignaturePolicyVerifier policy, java.util.function.Consumer<String> report) {
        return (reference, manifest, mediaType, digest) -> {
            try {
                policy.verifyDescribing(DockerReference.parse(reference.toString()), manifest, digest.toString())
                        .forEach(report);
            } catch (SignatureVerificationException e) {
                throw new ImageRejectedException(e.getMessage(), e);
            } catch (IllegalArgumentException e) {
                throw new ImageRejectedException("the reference " + reference + " cannot be checked against the policy: "
                        + e.getMessage(), e);
            }
        };
    }

    /** The registry operations sigstore attachments need, through {@code client}. */
    public static RegistryReader reader(RegistryClient client) {
        return new RegistryReader() {
            @Override
            public Optional<byte[]> manifest(DockerReference repository, String tag) throws IOException {
                ImageReference ref = ImageReference.parse(repository.name() + (tag.contains(":") ? "@" : ":") + tag);
                try {
                    return Optional.of(client.fetchManifest(ref).bytes());
                } catch (RegistryException e) {
                    if (e.reason() == RegistryException.Reason.NOT_FOUND) {
                        return Optional.empty();
                    }
                    throw e;
                }
            }

            @Override
            public byte[] blob(DockerReference repository, String digest, long maxBytes) throws IOException {
                ImageReference ref = ImageReference.parse(repository.name());
                return client.fetchBlobByDigest(ref, Digest.parse(digest), (int) Math.min(maxBytes, Integer.MAX_VALUE - 1));
            }

            @Override
            public Optional<byte[]> referrers(DockerReference repository, String digest, String artifactType)
                    throws IOException {
                return client.fetchReferrers(ImageReference.parse(repository.name()), Digest.parse(digest), artifactType);
            }
        };
    }
}
