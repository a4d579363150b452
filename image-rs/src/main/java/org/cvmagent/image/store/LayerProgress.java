package org.cvmagent.image.store;

/** Bytes of a layer blob read so far (called from the unpacking thread). */
@FunctionalInterface
public interface LayerProgress {
    void transferred(long bytes);

    LayerProgress NONE = bytes -> { };
}
