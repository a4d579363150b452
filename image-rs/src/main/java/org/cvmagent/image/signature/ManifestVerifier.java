package org.cvmagent.image.signature;

/**
 * Decides whether a pulled manifest may be used, before any of its layers is fetched.
 *
 * <p>{@code manifestBytes} must be the manifest the reference resolves to in the registry (for a
 * multi-platform image: the index, not the platform manifest picked from it), exactly as received;
 * signatures are made over those bytes' digest.
 */
public interface ManifestVerifier {

    /**
     * Returns normally only when the policy accepts the image.
     *
     * @param manifestDigest the digest the registry served the manifest under ({@code sha256:<hex>});
     *     it is checked against the bytes, never trusted on its own
     */
    void verify(DockerReference ref, byte[] manifestBytes, String manifestDigest)
            throws SignatureVerificationException;
}
