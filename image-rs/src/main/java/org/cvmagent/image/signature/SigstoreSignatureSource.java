package org.cvmagent.image.signature;

import java.util.List;

/** Fetches the sigstore signatures attached to a manifest; same contract as {@link SignatureSource}. */
@FunctionalInterface
public interface SigstoreSignatureSource {

    List<SigstoreSignature> sigstoreSignatures(DockerReference ref, String manifestDigest)
            throws SignatureVerificationException;

    /**
     * The Sigstore bundles (cosign v3) attached to the manifest through OCI 1.1 referrers, as JSON;
     * none by default.
     */
    default List<byte[]> sigstoreBundles(DockerReference ref, String manifestDigest) throws SignatureVerificationException {
        return List.of();
    }
}
