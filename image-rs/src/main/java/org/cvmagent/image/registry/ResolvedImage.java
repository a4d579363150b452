package org.cvmagent.image.registry;

/**
 * A reference resolved to the guest platform's image manifest.
 *
 * @param reference the reference as asked for
 * @param topLevel what the reference names (an index, or the manifest itself)
 * @param manifestBytes the platform's image manifest as served
 * @param manifest that manifest parsed
 */
public record ResolvedImage(ImageReference reference, FetchedManifest topLevel, FetchedManifest manifestBytes,
                            ImageManifest manifest) {
}
