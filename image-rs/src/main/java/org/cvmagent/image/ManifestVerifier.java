package org.cvmagent.image;

import org.cvmagent.image.registry.Digest;
import org.cvmagent.image.registry.ImageReference;

/**
 * The signature-policy hook: called once per pull with the manifest (or index) the reference
 * names, exactly as the registry served it, after its digest was checked and before any layer
 * or config blob is fetched. Throwing stops the pull; nothing of the image is stored.
 */
@FunctionalInterface
public interface ManifestVerifier {
    /**
     * @param reference the reference being pulled
     * @param manifest the top-level manifest bytes (an index for multi-platform images)
     * @param mediaType its media type
     * @param digest the digest of those bytes
     */
    void verify(ImageReference reference, byte[] manifest, String mediaType, Digest digest)
            throws ImageRejectedException;
}
