package org.cvmagent.image.bundle;

import java.nio.file.Path;

/**
 * A container's root file system.
 *
 * @param containerDir the directory holding it (and, for overlay, upper and work dirs)
 * @param rootfs the directory to use as the OCI spec's root.path
 * @param kind how it was made
 * @param note why the copy was used instead of overlay, or empty
 */
public record ContainerRootfs(Path containerDir, Path rootfs, Kind kind, String note) {
    public enum Kind { OVERLAY, COPY }
}
