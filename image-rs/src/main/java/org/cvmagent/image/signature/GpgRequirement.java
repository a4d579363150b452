package org.cvmagent.image.signature;

import java.util.List;
import java.util.Objects;
import org.cvmagent.image.signature.SignatureVerificationException.Reason;

/** Evaluates a {@code signedBy} requirement: one lookaside signature must pass every check. */
final class GpgRequirement {

    private final SignatureSource signatures;
    private final ResourceLoader resources;
    private final GpgSignatureVerifier gpg = new GpgSignatureVerifier();

    GpgRequirement(SignatureSource signatures, ResourceLoader resources) {
        this.signatures = Objects.requireNonNull(signatures);
        this.resources = Objects.requireNonNull(resources);
    }

    /** @return how the image was accepted */
    String check(PolicyRequirement.SignedBy requirement, DockerReference image, byte[] manifest, String manifestDigest)
            throws SignatureVerificationException {
        GpgKeyring keyring = GpgKeyring.parse(requirement.keys().load(resources), requirement.keys().describe());
        List<byte[]> candidates = signatures.simpleSignatures(image, manifestDigest);
        SignatureAttempts attempts = new SignatureAttempts();
        for (byte[] candidate : candidates) {
            try {
                byte[] payload = gpg.verify(candidate, keyring);
                SigningPayload claim = SigningPayload.parse(payload, SigningPayload.SIMPLE_SIGNING_TYPE);
                ClaimCheck.check(claim, manifest, image, requirement.signedIdentity());
                return "gpg simple signing by a key of " + requirement.keys().describe() + ", identity "
                        + claim.dockerReference();
            } catch (SignatureVerificationException e) {
                if (e.reason() == Reason.INVALID_POLICY) {
                    throw e;
                }
                attempts.failed(e);
            }
        }
        throw attempts.refusal("signedBy (GPG keys " + requirement.keys().describe() + ")");
    }
}
