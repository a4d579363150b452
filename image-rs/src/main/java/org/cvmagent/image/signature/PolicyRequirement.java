package org.cvmagent.image.signature;

import java.util.Optional;

/** One entry of a containers-policy.json requirement list; every entry must accept the image. */
public sealed interface PolicyRequirement {

    record InsecureAcceptAnything() implements PolicyRequirement {}

    record Reject() implements PolicyRequirement {}

    /** GPG "simple signing" signatures, from the lookaside store, by one of {@code keys}. */
    record SignedBy(KeySource keys, SignedIdentity signedIdentity) implements PolicyRequirement {}

    /**
     * Sigstore (cosign) signatures attached in the registry: by one of {@code keys}, or by a
     * Fulcio-issued certificate when {@code fulcio} is set (exactly one of the two).
     */
    record SigstoreSigned(
            Optional<KeySource> keys,
            Optional<FulcioConfig> fulcio,
            Optional<KeySource> rekorPublicKey,
            SignedIdentity signedIdentity,
            Optional<KeySource> trustedRoot)
            implements PolicyRequirement {

        public SigstoreSigned {
            if (keys.isPresent() == fulcio.isPresent()) {
                throw new IllegalArgumentException("exactly one of keys or fulcio must be given");
            }
            if (fulcio.isPresent() && fulcio.get().ca().isEmpty() && trustedRoot.isEmpty()) {
                throw new IllegalArgumentException("fulcio needs a CA or a trusted root");
            }
        }

        /** Without a Sigstore trusted root (our extension). */
        public SigstoreSigned(Optional<KeySource> keys, Optional<FulcioConfig> fulcio, Optional<KeySource> rekorPublicKey,
                SignedIdentity signedIdentity) {
            this(keys, fulcio, rekorPublicKey, signedIdentity, Optional.empty());
        }
    }

    /**
     * Fulcio trust: the CA (optional when the requirement has a trusted root, whose certificate
     * authorities then count), and which OIDC issuer and identity the certificate must carry: an
     * e-mail ({@code subjectEmail}, containers-policy.json's) or — ours — {@code subject}, an e-mail
     * or URI subject alternative name matched exactly (cosign's {@code --certificate-identity}; CI
     * workflows are URIs). {@code subjectEmail} is null when {@code subject} is given.
     */
    record FulcioConfig(Optional<KeySource> ca, String oidcIssuer, String subjectEmail, Optional<String> subject) {

        public FulcioConfig {
            if ((subjectEmail == null) == subject.isEmpty()) {
                throw new IllegalArgumentException("exactly one of subjectEmail and subject must be given");
            }
        }

        public FulcioConfig(Optional<KeySource> ca, String oidcIssuer, String subjectEmail) {
            this(ca, oidcIssuer, subjectEmail, Optional.empty());
        }
    }
}
