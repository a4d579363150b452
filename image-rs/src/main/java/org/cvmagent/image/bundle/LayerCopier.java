package org.cvmagent.image.bundle;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.cvmagent.image.store.Layer;
import org.cvmagent.image.store.NativeFs;
import org.cvmagent.image.store.Trees;
import org.cvmagent.image.store.Whiteout;

/**
 * Builds a rootfs by copying layers bottom to top with overlayfs semantics: a layer's whiteouts
 * delete from what is below, its opaque directories are emptied, then its tree is copied over
 * (a directory merges into a directory and replaces anything else; a non-directory replaces
 * what was there). Symlinks in the target are never followed; hardlinks within a layer stay
 * hardlinks.
 */
public final class LayerCopier {
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
    private static final int S_IFMT = 0170000;
    private static final int S_IFCHR = 0020000;
    private static final int S_IFBLK = 0060000;
    private static final int S_IFIFO = 0010000;

    private final NativeFs nativeFs;
    private final boolean preserveOwnership;

    public LayerCopier(NativeFs nativeFs, boolean preserveOwnership) {
        this.nativeFs = nativeFs;
        this.preserveOwnership = preserveOwnership;
    }

    public void apply(List<Layer> bottomToTop, Path rootfs) throws IOException {
        Files.createDirectories(rootfs);
        for (Layer layer : bottomToTop) {
            applyWhiteouts(layer, rootfs);
            copyTree(layer, rootfs);
        }
    }

    private void applyWhiteouts(Layer layer, Path rootfs) throws IOException {
        for (Whiteout w : layer.whiteouts()) {
            Path target = inside(rootfs, w.path());
            if (target == null) {
                continue;
            }
            BasicFileAttributes a = attributes(target);
            if (a == null) {
                continue;
            }
            if (w.opaque()) {
                if (a.isDirectory()) {
                    try (DirectoryStream<Path> children = Files.newDirectoryStream(target)) {
                        for (Path child : children) {
                            Trees.deleteRecursively(child);
                        }
                    }
                }
            } else {
                Trees.deleteRecursively(target);
            }
        }
    }

    /** {@code rel} under root, or null when a parent on the way is not a real directory (nothing to delete there). */
    private static Path inside(Path root, String rel) throws IOException {
        Path cur = root;
        if (rel.isEmpty()) {
            return root;
        }
        String[] parts = rel.split("/");
        for (int i = 0; i < parts.length; i++) {
            cur = cur.resolve(parts[i]);
            if (i < parts.length - 1) {
                BasicFileAttributes a = attributes(cur);
                if (a == null || !a.isDirectory()) {
                    return null;
                }
            }
        }
        return cur;
    }

    private void copyTree(Layer layer, Path rootfs) throws IOException {
        Path diff = layer.diff();
        Set<String> markers = new HashSet<>();
        for (Whiteout w : layer.whiteouts()) {
            if (!w.opaque()) {
                markers.add(w.path());
            }
        }
        Map<Object, Path> linked = new HashMap<>();
        List<Path[]> dirs = new ArrayList<>();
        Files.walkFileTree(diff, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Path dest = rootfs.resolve(diff.relativize(dir).toString());
                BasicFileAttributes d = attributes(dest);
                if (d != null && !d.isDirectory()) {
                    Files.delete(dest);
                    d = null;
                }
                if (d == null) {
                    Files.createDirectory(dest);
                }
                dirs.add(new Path[] {dir, dest});
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                String rel = diff.relativize(file).toString();
                if (markers.contains(rel) && isWhiteoutMarker(file)) {
                    return FileVisitResult.CONTINUE;
                }
                Path dest = rootfs.resolve(rel);
                if (attributes(dest) != null) {
                    Trees.deleteRecursively(dest);
                }
                Object key = attrs.fileKey();
                Path first = key == null || attrs.isSymbolicLink() ? null : linked.get(key);
                if (first != null) {
                    Files.createLink(dest, first);
                } else {
                    copyEntry(file, dest);
                    if (key != null && !attrs.isSymbolicLink() && (int) Files.getAttribute(file, "unix:nlink", NOFOLLOW) > 1) {
                        linked.put(key, dest);
                    }
                }
                return FileVisitResult.CONTINUE;
            }
        });
        // Deepest first: filling a directory changes its mtime.
        for (int i = dirs.size() - 1; i >= 0; i--) {
            copyDirMetadata(dirs.get(i)[0], dirs.get(i)[1]);
        }
    }

    private void copyEntry(Path src, Path dest) throws IOException {
        int mode = (int) Files.getAttribute(src, "unix:mode", NOFOLLOW);
        int type = mode & S_IFMT;
        if (type == S_IFCHR || type == S_IFBLK || type == S_IFIFO) {
            // Files.copy would open a fifo (blocking) or a device (reading it): make the node instead.
            nativeFs.mknod(dest, mode, (long) Files.getAttribute(src, "unix:rdev", NOFOLLOW));
            if (preserveOwnership) {
                Files.setAttribute(dest, "unix:uid", Files.getAttribute(src, "unix:uid", NOFOLLOW), NOFOLLOW);
                Files.setAttribute(dest, "unix:gid", Files.getAttribute(src, "unix:gid", NOFOLLOW), NOFOLLOW);
            }
            nativeFs.chmod(dest, mode & 07777);
            nativeFs.setTimes(dest, Files.getLastModifiedTime(src, NOFOLLOW));
            return;
        }
        if (preserveOwnership) {
            // COPY_ATTRIBUTES copies mode, owner and times of regular files and symlinks.
            Files.copy(src, dest, StandardCopyOption.COPY_ATTRIBUTES, NOFOLLOW);
        } else {
            Files.copy(src, dest, NOFOLLOW);
            // Path-based calls: the JDK's attribute setters open the file, which blocks on a fifo.
            if (!Files.isSymbolicLink(dest)) {
                nativeFs.chmod(dest, (int) Files.getAttribute(src, "unix:mode", NOFOLLOW) & 07777);
            }
            nativeFs.setTimes(dest, Files.getLastModifiedTime(src, NOFOLLOW));
        }
    }

    private void copyDirMetadata(Path src, Path dest) throws IOException {
        int mode = (int) Files.getAttribute(src, "unix:mode", NOFOLLOW);
        if (preserveOwnership) {
            Files.setAttribute(dest, "unix:uid", Files.getAttribute(src, "unix:uid", NOFOLLOW), NOFOLLOW);
            Files.setAttribute(dest, "unix:gid", Files.getAttribute(src, "unix:gid", NOFOLLOW), NOFOLLOW);
        }
        Files.setAttribute(dest, "unix:mode", mode & 07777, NOFOLLOW);
        nativeFs.setTimes(dest, Files.getLastModifiedTime(src, NOFOLLOW));
    }

    private static boolean isWhiteoutMarker(Path p) throws IOException {
        int mode = (int) Files.getAttribute(p, "unix:mode", NOFOLLOW);
        return (mode & S_IFMT) == S_IFCHR && (long) Files.getAttribute(p, "unix:rdev", NOFOLLOW) == 0L;
    }

    private static BasicFileAttributes attributes(Path p) throws IOException {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW);
        } catch (NoSuchFileException e) {
            return null;
        }
    }
}
