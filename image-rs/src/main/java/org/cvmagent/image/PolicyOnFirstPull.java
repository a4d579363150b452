package org.cvmagent.image;

import java.util.Objects;
import org.cvmagent.image.registry.Digest;
import org.cvmagent.image.registry.ImageReference;
import org.cvmagent.image.registry.LoadedOnSuccess;
import org.cvmagent.image.signature.SignaturePolicyVerifier;
import org.cvmagent.image.signature.SignatureVerificationException;

/**
 * A signature policy loaded when the first image is pulled rather than when the agent starts: a
 * {@code kbs:///} policy can only be fetched once the shim has configured the guest's network and
 * the guest has attested, both of which happen after start-up. A policy that cannot be loaded
 * refuses the pull (fail closed) and is tried again on the next one; a loaded policy is kept.
 */
public final class PolicyOnFirstPull implements ManifestVerifier {

    /** Loads the policy, with everything it names (keys, registries.d). */
    @FunctionalInterface
    public interface Loader {
        SignaturePolicyVerifier load() throws SignatureVerificationException;
    }

    private final LoadedOnSuccess<ManifestVerifier, ImageRejectedException> policy;

    /** @param location where the policy comes from, for the refusal's message */
    public PolicyOnFirstPull(String location, Loader loader) {
        this(location, loader, how -> { });
    }

    /** As above; {@code report} is told how the policy accepted each image. */
    public PolicyOnFirstPull(String location, Loader loader, java.util.function.Consumer<String> report) {
        Objects.requireNonNull(location);
        Objects.requireNonNull(loader);
        Objects.requireNonNull(report);
        this.policy = new LoadedOnSuccess<>(() -> {
            try {
                return SignatureChecks.verifier(loader.load(), report);
            } catch (SignatureVerificationException e) {
                throw new ImageRejectedException("the signature policy " + location + " is unavailable, so no image "
                        + "is accepted: " + e.getMessage(), e);
            }
        });
    }

    @Override
    public void verify(ImageReference reference, byte[] manifest, String mediaType, Digest digest)
            throws ImageRejectedException {
        policy.get().verify(reference, manifest, mediaType, digest);
    }
}
