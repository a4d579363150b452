package org.cvmagent.image;

import org.cvmagent.image.store.UnpackPolicy;

/**
 * Per-pull settings.
 *
 * @param unpack limits and permissions for every layer
 * @param parallelLayers layers downloaded at once
 * @param maxLayers manifests with more layers are refused
 * @param maxConfigBytes largest config blob accepted
 */
public record PullOptions(UnpackPolicy unpack, int parallelLayers, int maxLayers, int maxConfigBytes) {
    public PullOptions {
        if (parallelLayers < 1 || maxLayers < 1 || maxConfigBytes < 1) {
            throw new IllegalArgumentException("pull options must be positive");
        }
    }

    public static PullOptions defaults(boolean root) {
        return new PullOptions(UnpackPolicy.defaults(root), 3, 256, 8 << 20);
    }

    public PullOptions withParallelLayers(int layers) {
        return new PullOptions(unpack, layers, maxLayers, maxConfigBytes);
    }

    public PullOptions withUnpack(UnpackPolicy policy) {
        return new PullOptions(policy, parallelLayers, maxLayers, maxConfigBytes);
    }
}
