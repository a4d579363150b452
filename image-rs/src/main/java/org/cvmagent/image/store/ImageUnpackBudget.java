package org.cvmagent.image.store;

import java.util.concurrent.atomic.AtomicLong;
import org.cvmagent.image.store.UnsafeLayerException.Kind;

/**
 * What one pull has unpacked so far, over all its layers (they unpack in parallel), against its
 * {@link ImageLimits}. Charged before each entry is created and before each file's bytes are
 * written, so nothing over the bounds ever reaches the store.
 */
public final class ImageUnpackBudget {

    private final ImageLimits limits;
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong entries = new AtomicLong();

    public ImageUnpackBudget(ImageLimits limits) {
        this.limits = limits;
    }

    public static ImageUnpackBudget unlimited() {
        return new ImageUnpackBudget(ImageLimits.unlimited());
    }

    /** One more entry. */
    void addEntry() throws UnsafeLayerException {
        if (entries.incrementAndGet() > limits.maxEntries()) {
            entries.decrementAndGet();
            throw new UnsafeLayerException(Kind.LIMIT, "the image has more than " + limits.maxEntries()
                    + " entries in its layers (the per-image bound)");
        }
    }

    /** {@code size} more bytes of files, before they are written. */
    void addBytes(long size) throws UnsafeLayerException {
        if (bytes.addAndGet(size) > limits.maxBytes()) {
            bytes.addAndGet(-size);
            throw new UnsafeLayerException(Kind.LIMIT, "the image unpacks to more than " + limits.maxBytes()
                    + " bytes of files (the per-image bound)");
        }
    }

    /** Gives back what a layer that failed (and whose files are removed) had charged. */
    void release(long releasedBytes, long releasedEntries) {
        bytes.addAndGet(-releasedBytes);
        entries.addAndGet(-releasedEntries);
    }

    public long bytes() {
        return bytes.get();
    }

    public long entries() {
        return entries.get();
    }
}
