package org.cvmagent.image.signature;

import java.util.List;

/** Fetches the sigstore signatures attached to a manifest; same contract as {@link SignatureSource}. */
@FunctionalInterface
public interface SigstoreSignatureSource {

    List<SigstoreSignature> sigstoreSignatures(DockerReference ref, String manifestDigest)
            throws SignatureVerificationException;
}
