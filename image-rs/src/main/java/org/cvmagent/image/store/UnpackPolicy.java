package org.cvmagent.image.store;

/**
 * Limits and permissions for unpacking one layer.
 *
 * @param maxBytes total size of all regular files (uncompressed)
 * @param maxEntries number of tar entries
 * @param allowDevices whether character/block device entries may be created
 * @param preserveOwnership whether uid/gid from the tar are applied (needs root)
 */
public record UnpackPolicy(long maxBytes, long maxEntries, boolean allowDevices, boolean preserveOwnership) {
    public UnpackPolicy {
        if (maxBytes <= 0 || maxEntries <= 0) {
            throw new IllegalArgumentException("limits must be positive");
        }
    }

    /** 8 GiB and a million entries per layer; devices and ownership only as root. */
    public static UnpackPolicy defaults(boolean root) {
        return new UnpackPolicy(8L << 30, 1_000_000, root, root);
    }

    public UnpackPolicy withLimits(long bytes, long entries) {
        return new UnpackPolicy(bytes, entries, allowDevices, preserveOwnership);
    }

    public UnpackPolicy withDevices(boolean allowed) {
        return new UnpackPolicy(maxBytes, maxEntries, allowed, preserveOwnership);
    }
}
