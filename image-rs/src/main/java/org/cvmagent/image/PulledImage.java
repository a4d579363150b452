package org.cvmagent.image;

import java.util.List;
import org.cvmagent.image.bundle.ImageConfig;
import org.cvmagent.image.registry.Digest;
import org.cvmagent.image.registry.ImageReference;
import org.cvmagent.image.store.Layer;

/**
 * A pulled image: everything needed to make container root file systems.
 *
 * @param reference the reference pulled, pinned to the digest of what it named
 * @param manifestDigest digest of the platform's image manifest
 * @param configDigest digest of the config blob
 * @param config the runtime config
 * @param layers the layers, bottom to top
 */
public record PulledImage(ImageReference reference, Digest manifestDigest, Digest configDigest, ImageConfig config,
                          List<Layer> layers) {
    public PulledImage {
        layers = List.copyOf(layers);
    }
}
