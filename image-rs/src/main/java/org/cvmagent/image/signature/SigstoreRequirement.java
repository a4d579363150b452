package org.cvmagent.image.signature;

import java.util.Base64;
import java.util.List;
import java.util.Objects;
import org.cvmagent.image.signature.SignatureVerificationException.Reason;

/**
 * Evaluates a key-based {@code sigstoreSigned} requirement: one attached signature must be made by
 * a trusted key over a payload that passes every check.
 *
 * <p>Fulcio certificates and Rekor bundles are not verified by this implementation, so requirements
 * that configure them are refused outright rather than evaluated by a weaker rule.
 */
final class SigstoreRequirement {

    private final SigstoreSignatureSource signatures;
    private final ResourceLoader resources;

    SigstoreRequirement(SigstoreSignatureSource signatures, ResourceLoader resources) {
        this.signatures = Objects.requireNonNull(signatures);
        this.resources = Objects.requireNonNull(resources);
    }

    void check(PolicyRequirement.SigstoreSigned requirement, DockerReference image, byte[] manifest,
            String manifestDigest) throws SignatureVerificationException {
        if (requirement.fulcio().isPresent()) {
            throw SignatureVerificationException.invalidPolicy(
                    "sigstoreSigned with fulcio (keyless) verification is not supported by this agent");
        }
        if (requirement.rekorPublicKey().isPresent()) {
            throw SignatureVerificationException.invalidPolicy(
                    "sigstoreSigned with rekorPublicKeyPath/rekorPublicKeyData is not supported by this agent");
        }
        KeySource keySource = requirement.keys().orElseThrow();
        SigstorePublicKeys keys = SigstorePublicKeys.parse(keySource.load(resources), keySource.describe());
        List<SigstoreSignature> candidates = signatures.sigstoreSignatures(image, manifestDigest);
        SignatureAttempts attempts = new SignatureAttempts();
        for (SigstoreSignature candidate : candidates) {
            try {
                verifyOne(candidate, keys, requirement, image, manifest);
                return;
            } catch (SignatureVerificationException e) {
                if (e.reason() == Reason.INVALID_POLICY) {
                    throw e;
                }
                attempts.failed(e);
            }
        }
        throw attempts.refusal("sigstoreSigned (keys " + keySource.describe() + ")");
    }

    private static void verifyOne(SigstoreSignature candidate, SigstorePublicKeys keys,
            PolicyRequirement.SigstoreSigned requirement, DockerReference image, byte[] manifest)
            throws SignatureVerificationException {
        if (!SigstoreSignature.SIMPLE_SIGNING_MEDIA_TYPE.equals(candidate.mediaType())) {
            throw new SignatureVerificationException(Reason.INVALID_SIGNATURE,
                    "sigstore signature has media type \"" + candidate.mediaType() + "\", expected \""
                            + SigstoreSignature.SIMPLE_SIGNING_MEDIA_TYPE + "\"");
        }
        String encoded = candidate.annotations().get(SigstoreSignature.SIGNATURE_ANNOTATION);
        if (encoded == null) {
            throw new SignatureVerificationException(Reason.INVALID_SIGNATURE,
                    "sigstore signature has no " + SigstoreSignature.SIGNATURE_ANNOTATION + " annotation");
        }
        byte[] signature;
        try {
            signature = Base64.getDecoder().decode(encoded);
        } catch (IllegalArgumentException e) {
            throw new SignatureVerificationException(Reason.INVALID_SIGNATURE,
                    "sigstore signature annotation is not valid base64");
        }
        byte[] payload = candidate.payload();
        if (!keys.verifies(payload, signature)) {
            throw new SignatureVerificationException(Reason.WRONG_KEY,
                    "sigstore signature was not made by any trusted key");
        }
        SigningPayload claim = SigningPayload.parse(payload, SigningPayload.COSIGN_TYPE);
        ClaimCheck.check(claim, manifest, image, requirement.signedIdentity());
    }
}
