package org.cvmagent.image.bundle;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.cvmagent.image.store.Layer;
import org.cvmagent.image.store.Trees;

/**
 * Makes a container's rootfs from its image's layers: an overlay mount (layers read-only and
 * shared, upper and work dirs per container) when the kernel has overlayfs and every layer
 * carries overlay whiteout markers; otherwise, or when the mount fails (overlay over overlay,
 * for one), a private copy.
 */
public final class RootfsProvisioner {
    private static final System.Logger LOG = System.getLogger(RootfsProvisioner.class.getName());

    private final OverlaySupport overlay;
    private final Mounter mounter;
    private final LayerCopier copier;

    public RootfsProvisioner(OverlaySupport overlay, Mounter mounter, LayerCopier copier) {
        this.overlay = overlay;
        this.mounter = mounter;
        this.copier = copier;
    }

    /** Creates {@code containerDir} (which must not exist) holding the rootfs of {@code bottomToTop}. */
    public ContainerRootfs create(List<Layer> bottomToTop, Path containerDir) throws IOException {
        Files.createDirectory(containerDir);
        try {
            String why = overlayObstacle(bottomToTop);
            if (why == null) {
                try {
                    return mountOverlay(bottomToTop, containerDir);
                } catch (IOException e) {
                    why = "overlay mount failed: " + e.getMessage();
                    LOG.log(Level.INFO, "rootfs of {0}: {1}; copying the layers instead", containerDir, why);
                    Trees.deleteRecursively(containerDir.resolve("upper"));
                    Trees.deleteRecursively(containerDir.resolve("work"));
                    Trees.deleteRecursively(containerDir.resolve("rootfs"));
                }
            }
            Path rootfs = containerDir.resolve("rootfs");
            copier.apply(bottomToTop, rootfs);
            return new ContainerRootfs(containerDir, rootfs, ContainerRootfs.Kind.COPY, why);
        } catch (IOException | RuntimeException e) {
            Trees.deleteRecursively(containerDir);
            throw e;
        }
    }

    private String overlayObstacle(List<Layer> layers) throws IOException {
        if (!overlay.available()) {
            return "the kernel has no overlayfs";
        }
        if (layers.isEmpty()) {
            return "an image without layers";
        }
        for (Layer l : layers) {
            if (!l.overlayReady()) {
                return "layer " + l.digest() + " has no overlay whiteout markers";
            }
            String p = l.diff().toString();
            if (p.contains(",") || p.contains(":")) {
                return "layer path " + p + " cannot be given to overlay";
            }
        }
        return null;
    }

    private ContainerRootfs mountOverlay(List<Layer> bottomToTop, Path containerDir) throws IOException {
        Path upper = Files.createDirectory(containerDir.resolve("upper"));
        Path work = Files.createDirectory(containerDir.resolve("work"));
        Path rootfs = Files.createDirectory(containerDir.resolve("rootfs"));
        List<String> lower = new ArrayList<>();
        for (int i = bottomToTop.size() - 1; i >= 0; i--) {
            lower.add(bottomToTop.get(i).diff().toString());
        }
        mounter.mountOverlay("lowerdir=" + String.join(":", lower) + ",upperdir=" + upper + ",workdir=" + work, rootfs);
        return new ContainerRootfs(containerDir, rootfs, ContainerRootfs.Kind.OVERLAY, "");
    }

    /** Unmounts (overlay) and deletes a container's rootfs. */
    public void remove(ContainerRootfs rootfs) throws IOException {
        if (rootfs.kind() == ContainerRootfs.Kind.OVERLAY) {
            mounter.unmount(rootfs.rootfs());
        }
        Trees.deleteRecursively(rootfs.containerDir());
    }
}
