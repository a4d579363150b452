package org.cvmagent.image.store;

import java.nio.file.Path;
import java.util.List;
import org.cvmagent.image.registry.Digest;

/**
 * An unpacked, complete layer in the store.
 *
 * @param digest the compressed blob's digest (what manifests name)
 * @param diffId the uncompressed tar's digest (what the image config's rootfs.diff_ids name)
 * @param diff the unpacked tree
 * @param whiteouts deletions this layer applies to the layers below
 * @param overlayReady whether {@code diff} carries overlayfs whiteout markers (it can be a lowerdir)
 */
public record Layer(Digest digest, Digest diffId, Path diff, List<Whiteout> whiteouts, boolean overlayReady) {
    public Layer {
        whiteouts = List.copyOf(whiteouts);
    }
}
