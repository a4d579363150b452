package org.cvmagent.image.signature;

import org.cvmagent.image.signature.SignatureVerificationException.Reason;

/**
 * Checks what a cryptographically valid signature claims against the image being pulled: that it
 * signs these manifest bytes, and names an identity the policy accepts for this reference.
 */
final class ClaimCheck {

    private ClaimCheck() {}

    static void check(SigningPayload payload, byte[] manifest, DockerReference image, SignedIdentity identity)
            throws SignatureVerificationException {
        if (!ManifestDigest.matches(manifest, payload.manifestDigest())) {
            throw new SignatureVerificationException(Reason.DIGEST_MISMATCH,
                    "signature is for manifest " + payload.manifestDigest() + ", not for the pulled manifest");
        }
        if (!identity.matches(image, payload.dockerReference())) {
            throw new SignatureVerificationException(Reason.IDENTITY_MISMATCH, "signature names \""
                    + payload.dockerReference() + "\", which " + identity.describe() + " does not accept for \""
                    + image + "\"");
        }
    }
}
