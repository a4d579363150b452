package org.cvmagent.image.signature;

import java.util.Objects;
import org.cvmagent.image.signature.SignatureVerificationException.Reason;

/**
 * Applies a containers-policy.json to a pulled manifest: picks the requirements of the most
 * specific scope for the reference and requires every one of them to accept the image.
 */
public final class SignaturePolicyVerifier implements ManifestVerifier {

    private final Policy policy;
    private final GpgRequirement gpg;
    private final SigstoreRequirement sigstore;

    public SignaturePolicyVerifier(Policy policy, SignatureSource simpleSignatures,
            SigstoreSignatureSource sigstoreSignatures, ResourceLoader resources) {
        this.policy = Objects.requireNonNull(policy);
        this.gpg = new GpgRequirement(simpleSignatures, resources);
        this.sigstore = new SigstoreRequirement(sigstoreSignatures, resources);
    }

    @Override
    public void verify(DockerReference ref, byte[] manifestBytes, String manifestDigest)
            throws SignatureVerificationException {
        verifyDescribing(ref, manifestBytes, manifestDigest);
    }

    /**
     * Like {@link #verify}, and says how each requirement accepted the image: "insecureAcceptAnything",
     * or the signature format (gpg simple signing, cosign legacy, cosign bundle) and identity.
     */
    public java.util.List<String> verifyDescribing(DockerReference ref, byte[] manifestBytes, String manifestDigest)
            throws SignatureVerificationException {
        Objects.requireNonNull(ref, "ref");
        Objects.requireNonNull(manifestBytes, "manifestBytes");
        Objects.requireNonNull(manifestDigest, "manifestDigest");
        if (ref.isNameOnly()) {
            // containers/image always verifies a tagged or digested reference; an implicit
            // ":latest" must be made explicit by the caller so identity checks see it.
            throw SignatureVerificationException.invalidPolicy("reference " + ref + " has neither tag nor digest");
        }
        if (!ManifestDigest.matches(manifestBytes, manifestDigest)) {
            throw new SignatureVerificationException(Reason.DIGEST_MISMATCH,
                    "manifest of " + ref + " does not match digest " + manifestDigest);
        }
        if (ref.digest().isPresent() && !ManifestDigest.matches(manifestBytes, ref.digest().get())) {
            throw new SignatureVerificationException(Reason.DIGEST_MISMATCH,
                    "manifest of " + ref + " does not match the digest in the reference");
        }
        Policy.ScopedRequirements scoped = policy.requirementsFor(ref);
        java.util.List<String> how = new java.util.ArrayList<>();
        for (PolicyRequirement requirement : scoped.requirements()) {
            try {
                how.add(check(requirement, ref, manifestBytes, manifestDigest));
            } catch (SignatureVerificationException e) {
                throw new SignatureVerificationException(e.reason(),
                        ref + " (policy scope " + scoped.scope() + "): " + e.detail(), e);
            }
        }
        return java.util.List.copyOf(how);
    }

    private String check(PolicyRequirement requirement, DockerReference ref, byte[] manifest, String digest)
            throws SignatureVerificationException {
        return switch (requirement) {
            // Accepts by definition; the administrator chose no verification for this scope.
            case PolicyRequirement.InsecureAcceptAnything accept -> "insecureAcceptAnything (not verified)";
            case PolicyRequirement.Reject reject ->
                    throw new SignatureVerificationException(Reason.REJECTED_BY_POLICY, "the policy rejects this image");
            case PolicyRequirement.SignedBy signedBy -> gpg.check(signedBy, ref, manifest, digest);
            case PolicyRequirement.SigstoreSigned sigstoreSigned -> sigstore.check(sigstoreSigned, ref, manifest, digest);
        };
    }
}
