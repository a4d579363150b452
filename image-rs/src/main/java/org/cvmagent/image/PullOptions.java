package org.cvmagent.image;

import org.cvmagent.image.store.ImageLimits;
import org.cvmagent.image.store.UnpackPolicy;

/**
 * Per-pull settings.
 *
 * @param unpack limits and permissions for every layer
 * @param parallelLayers layers downloaded at once
 * @param maxLayers manifests with more layers are refused
 * @param maxConfigBytes largest config blob accepted
 * @param image bounds on what all the image's layers together unpack
 */
public record PullOptions(UnpackPolicy unpack, int parallelLayers, int maxLayers, int maxConfigBytes,
                          ImageLimits image) {
    public PullOptions {
        if (parallelLayers < 1 || maxLayers < 1 || maxConfigBytes < 1) {
            throw new IllegalArgumentException("pull options must be positive");
        }
    }

    /** Without a per-image bound beyond the layers' own (tools on a host, tests). */
    public static PullOptions defaults(boolean root) {
        return defaults(root, ImageLimits.unlimited());
    }

    public static PullOptions defaults(boolean root, ImageLimits image) {
        return new PullOptions(UnpackPolicy.defaults(root), 3, 256, 8 << 20, image);
    }

    public PullOptions withParallelLayers(int layers) {
        return new PullOptions(unpack, layers, maxLayers, maxConfigBytes, image);
    }

    public PullOptions withUnpack(UnpackPolicy policy) {
        return new PullOptions(policy, parallelLayers, maxLayers, maxConfigBytes, image);
    }

    public PullOptions withImageLimits(ImageLimits limits) {
        return new PullOptions(unpack, parallelLayers, maxLayers, maxConfigBytes, limits);
    }
}
