package org.cvmagent.image;

import org.cvmagent.image.registry.Digest;

/**
 * Where one layer of a pull stands.
 *
 * @param layer the layer's digest
 * @param done bytes of the blob read so far
 * @param total the blob's size from the manifest
 * @param state the layer's state
 */
public record ProgressEvent(Digest layer, long done, long total, State state) {
    public enum State {
        /** Queued behind other layers. */
        WAITING,
        /** Downloading and unpacking (one pass). */
        DOWNLOADING,
        /** Unpacked into the store by this pull. */
        COMPLETE,
        /** Already in the store, or fetched by a concurrent pull. */
        ALREADY_PRESENT,
        FAILED
    }
}
