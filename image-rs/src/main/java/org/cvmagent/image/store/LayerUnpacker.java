package org.cvmagent.image.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.cvmagent.image.store.UnsafeLayerException.Kind;

/**
 * Unpacks one layer tar into an empty directory, refusing anything that could reach outside it:
 * names are reduced to components, every parent component must be a real directory inside the
 * root (never a symlink, so nothing is written through one), files are created with
 * {@code NOFOLLOW_LINKS} after removing what was there, hardlinks must name an existing
 * non-directory inside the root. Whiteouts are recorded (and, when {@code overlayMarkers}, also
 * made as overlayfs expects: 0/0 character devices and {@code trusted.overlay.opaque=y}).
 */
public final class LayerUnpacker {
    static final String WHITEOUT_PREFIX = ".wh.";
    static final String OPAQUE = ".wh..wh..opq";
    private static final String AUFS_META = ".wh..wh.";
    private static final String XATTR_PAX = "SCHILY.xattr.";
    private static final int S_IFCHR = 0020000;
    private static final int S_IFBLK = 0060000;
    private static final int S_IFIFO = 0010000;
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

    private final NativeFs nativeFs;
    private final boolean overlayMarkers;

    public LayerUnpacker(NativeFs nativeFs, boolean overlayMarkers) {
        this.nativeFs = nativeFs;
        this.overlayMarkers = overlayMarkers;
    }

    /** Unpacks {@code tar} into {@code root} (an existing, empty directory). */
    public UnpackResult unpack(InputStream tar, Path root, UnpackPolicy policy) throws IOException {
        return unpack(tar, root, policy, ImageUnpackBudget.unlimited());
    }

    /**
     * Unpacks {@code tar} into {@code root} (an existing, empty directory), charging its entries
     * and bytes to {@code image}, the budget of the image this layer belongs to.
     */
    public UnpackResult unpack(InputStream tar, Path root, UnpackPolicy policy, ImageUnpackBudget image)
            throws IOException {
        Run run = new Run(root, policy, image);
        try {
            TarArchiveInputStream in = new TarArchiveInputStream(tar, StandardCharsets.UTF_8.name());
            TarArchiveEntry e;
            while ((e = in.getNextEntry()) != null) {
                run.entry(e, in);
            }
            run.finish();
        } catch (IOException | RuntimeException | Error failure) {
            // The caller removes what a failed layer left; a retry must not pay for it twice.
            image.release(run.chargedBytes, run.chargedEntries);
            throw failure;
        }
        return new UnpackResult(List.copyOf(run.whiteouts.values()), run.entries, run.bytes, run.skippedXattrs);
    }

    /** Directory metadata, applied after all entries (writing into a directory changes its mtime). */
    private record DirMeta(Path dir, int mode, FileTime mtime) {
    }

    private final class Run {
        private final Path root;
        private final UnpackPolicy policy;
        private final ImageUnpackBudget image;
        private final Map<String, Whiteout> whiteouts = new LinkedHashMap<>();
        private final List<DirMeta> dirs = new ArrayList<>();
        private final List<String> skippedXattrs = new ArrayList<>();
        private long entries;
        private long bytes;
        private long chargedBytes;
        private long chargedEntries;

        Run(Path root, UnpackPolicy policy, ImageUnpackBudget image) {
            this.root = root;
            this.policy = policy;
            this.image = image;
        }

        void entry(TarArchiveEntry e, InputStream data) throws IOException {
            if (++entries > policy.maxEntries()) {
                throw new UnsafeLayerException(Kind.LIMIT, "more than " + policy.maxEntries() + " entries");
            }
            image.addEntry();
            chargedEntries++;
            List<String> parts = EntryNames.components(e.getName());
            if (parts.isEmpty()) {
                if (e.isDirectory()) {
                    dirs.add(new DirMeta(root, e.getMode() & 07777, e.getLastModifiedTime()));
                    chown(root, e);
                    return;
                }
                throw new UnsafeLayerException(Kind.INVALID_ENTRY, "non-directory entry for the layer root");
            }
            String name = parts.getLast();
            List<String> parentParts = parts.subList(0, parts.size() - 1);
            if (parentParts.stream().anyMatch(c -> c.startsWith(AUFS_META))) {
                // Inside aufs metadata directories (.wh..wh.plnk): not content, never extracted.
                return;
            }
            if (name.equals(OPAQUE)) {
                Path dir = ensureDirs(parentParts);
                whiteouts.put(EntryNames.join(parentParts) + "/", new Whiteout(EntryNames.join(parentParts), true));
                if (overlayMarkers) {
                    nativeFs.lsetxattr(dir, "trusted.overlay.opaque", "y".getBytes(StandardCharsets.US_ASCII));
                }
                return;
            }
            if (name.startsWith(WHITEOUT_PREFIX)) {
                String hidden = name.substring(WHITEOUT_PREFIX.length());
                if (name.startsWith(AUFS_META)) {
                    // aufs metadata (.wh..wh.plnk, .wh..wh.aufs): not content, never extracted.
                    return;
                }
                if (hidden.isEmpty() || hidden.equals(".") || hidden.equals("..")) {
                    throw new UnsafeLayerException(Kind.PATH_ESCAPE, "whiteout of " + e.getName());
                }
                Path dir = ensureDirs(parentParts);
                List<String> target = new ArrayList<>(parentParts);
                target.add(hidden);
                String path = EntryNames.join(target);
                whiteouts.put(path, new Whiteout(path, false));
                if (overlayMarkers) {
                    Path marker = dir.resolve(hidden);
                    removeExisting(marker, false);
                    nativeFs.mknod(marker, S_IFCHR, 0);
                }
                return;
            }
            Path parent = ensureDirs(parentParts);
            Path target = parent.resolve(name);
            if (e.isDirectory()) {
                BasicFileAttributes a = attributes(target);
                if (a == null || !a.isDirectory()) {
                    removeExisting(target, true);
                    Files.createDirectory(target);
                }
                chown(target, e);
                xattrs(target, e);
                dirs.add(new DirMeta(target, e.getMode() & 07777, e.getLastModifiedTime()));
                return;
            }
            removeExisting(target, true);
            if (e.isSymbolicLink()) {
                String link = e.getLinkName();
                if (link.isEmpty() || link.indexOf('\0') >= 0) {
                    throw new UnsafeLayerException(Kind.INVALID_ENTRY, "symlink " + e.getName() + " with bad target");
                }
                // Any target is fine: it is never followed while unpacking, and in the container it
                // resolves inside the container's root.
                Files.createSymbolicLink(target, Path.of(link));
                chown(target, e);
                setMtime(target, e.getLastModifiedTime());
            } else if (e.isLink()) {
                Path existing = existingInside(e.getLinkName(), e.getName());
                Files.createLink(target, existing);
            } else if (e.isCharacterDevice() || e.isBlockDevice()) {
                if (!policy.allowDevices()) {
                    throw new UnsafeLayerException(Kind.DEVICE_NOT_ALLOWED, "device node " + e.getName());
                }
                int type = e.isCharacterDevice() ? S_IFCHR : S_IFBLK;
                nativeFs.mknod(target, type | (e.getMode() & 07777), NativeFs.makedev(e.getDevMajor(), e.getDevMinor()));
                specialMetadata(target, e);
            } else if (e.isFIFO()) {
                nativeFs.mknod(target, S_IFIFO | (e.getMode() & 07777), 0);
                specialMetadata(target, e);
            } else if (isRegular(e)) {
                writeFile(target, data, e);
                metadata(target, e);
            } else {
                throw new UnsafeLayerException(Kind.INVALID_ENTRY,
                        "entry " + e.getName() + " of unsupported type '" + (char) e.getLinkFlag() + "'");
            }
        }

        private boolean isRegular(TarArchiveEntry e) {
            byte f = e.getLinkFlag();
            return !e.isGNUSparse() && (f == '0' || f == 0 || f == '7');
        }

        private void writeFile(Path target, InputStream data, TarArchiveEntry e) throws IOException {
            if (bytes + e.getSize() > policy.maxBytes()) {
                throw new UnsafeLayerException(Kind.LIMIT, "more than " + policy.maxBytes() + " bytes of files");
            }
            // the size the header declares is all the tar reader delivers: charged before writing
            image.addBytes(e.getSize());
            chargedBytes += e.getSize();
            try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE, NOFOLLOW)) {
                byte[] buf = new byte[65536];
                int n;
                while ((n = data.read(buf)) > 0) {
                    bytes += n;
                    if (bytes > policy.maxBytes()) {
                        throw new UnsafeLayerException(Kind.LIMIT, "more than " + policy.maxBytes() + " bytes of files");
                    }
                    out.write(buf, 0, n);
                }
            }
        }

        private void metadata(Path target, TarArchiveEntry e) throws IOException {
            chown(target, e);
            // After chown, which clears set-id bits.
            Files.setAttribute(target, "unix:mode", e.getMode() & 07777, NOFOLLOW);
            xattrs(target, e);
            setMtime(target, e.getLastModifiedTime());
        }

        /** Device nodes and fifos: never opened (see {@link NativeFs#chmod}). */
        private void specialMetadata(Path target, TarArchiveEntry e) throws IOException {
            chown(target, e);
            nativeFs.chmod(target, e.getMode() & 07777);
            xattrs(target, e);
            setMtime(target, e.getLastModifiedTime());
        }

        private void chown(Path target, TarArchiveEntry e) throws IOException {
            if (policy.preserveOwnership()) {
                Files.setAttribute(target, "unix:uid", (int) e.getLongUserId(), NOFOLLOW);
                Files.setAttribute(target, "unix:gid", (int) e.getLongGroupId(), NOFOLLOW);
            }
        }

        private void xattrs(Path target, TarArchiveEntry e) throws IOException {
            for (Map.Entry<String, String> h : e.getExtraPaxHeaders().entrySet()) {
                if (!h.getKey().startsWith(XATTR_PAX)) {
                    continue;
                }
                String name = h.getKey().substring(XATTR_PAX.length());
                if (name.startsWith("trusted.overlay.") || name.startsWith("user.overlay.")) {
                    // overlayfs metadata from a layer could redirect or hide lower content.
                    throw new UnsafeLayerException(Kind.INVALID_ENTRY, "overlay xattr " + name + " on " + e.getName());
                }
                if (!policy.preserveOwnership() && !name.startsWith("user.")) {
                    skippedXattrs.add(e.getName() + " " + name);
                    continue;
                }
                try {
                    // PAX values are UTF-8 text; binary values (rare) are as commons-compress decoded them.
                    nativeFs.lsetxattr(target, name, h.getValue().getBytes(StandardCharsets.UTF_8));
                } catch (NativeFs.NativeFsException x) {
                    if (x.errno() != NativeFs.EOPNOTSUPP) {
                        throw x;
                    }
                    skippedXattrs.add(e.getName() + " " + name);
                }
            }
        }

        private void setMtime(Path target, FileTime mtime) throws IOException {
            nativeFs.setTimes(target, mtime);
        }

        /** The directory for {@code parts}, creating missing ones; refuses symlinks and non-directories on the way. */
        private Path ensureDirs(List<String> parts) throws IOException {
            Path cur = root;
            for (String c : parts) {
                cur = cur.resolve(c);
                BasicFileAttributes a = attributes(cur);
                if (a == null) {
                    try {
                        Files.createDirectory(cur);
                    } catch (FileAlreadyExistsException x) {
                        throw new UnsafeLayerException(Kind.PATH_ESCAPE, "path changed while unpacking: " + root.relativize(cur));
                    }
                } else if (a.isSymbolicLink()) {
                    throw new UnsafeLayerException(Kind.PATH_ESCAPE,
                            "entry below symlink " + root.relativize(cur) + " would be written through it");
                } else if (!a.isDirectory()) {
                    throw new UnsafeLayerException(Kind.INVALID_ENTRY, "entry below non-directory " + root.relativize(cur));
                }
            }
            return cur;
        }

        /** A hardlink's target: an existing non-directory inside the root, reached without symlinks. */
        private Path existingInside(String linkName, String entryName) throws IOException {
            List<String> parts = EntryNames.components(linkName);
            if (parts.isEmpty()) {
                throw new UnsafeLayerException(Kind.INVALID_ENTRY, "hardlink " + entryName + " to the layer root");
            }
            Path cur = root;
            for (int i = 0; i < parts.size(); i++) {
                cur = cur.resolve(parts.get(i));
                BasicFileAttributes a = attributes(cur);
                if (a == null) {
                    throw new UnsafeLayerException(Kind.INVALID_ENTRY,
                            "hardlink " + entryName + " to " + linkName + ", which is not in this layer");
                }
                boolean last = i == parts.size() - 1;
                if (!last && (a.isSymbolicLink() || !a.isDirectory())) {
                    throw new UnsafeLayerException(Kind.PATH_ESCAPE, "hardlink " + entryName + " through " + linkName);
                }
                if (last && a.isDirectory()) {
                    throw new UnsafeLayerException(Kind.INVALID_ENTRY, "hardlink " + entryName + " to a directory");
                }
            }
            return cur;
        }

        private BasicFileAttributes attributes(Path p) throws IOException {
            try {
                return Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW);
            } catch (NoSuchFileException x) {
                return null;
            }
        }

        /** Removes what is at {@code p} (never following a symlink); directories only when {@code dirsToo}. */
        private void removeExisting(Path p, boolean dirsToo) throws IOException {
            BasicFileAttributes a = attributes(p);
            if (a == null) {
                return;
            }
            if (a.isDirectory()) {
                if (!dirsToo) {
                    throw new UnsafeLayerException(Kind.INVALID_ENTRY, "whiteout over directory " + root.relativize(p));
                }
                Trees.deleteRecursively(p);
                dirs.removeIf(d -> d.dir().startsWith(p));
            } else {
                Files.delete(p);
            }
        }

        void finish() throws IOException {
            // Deepest first, so setting a parent's mtime is the last change to it.
            dirs.sort(Comparator.comparingInt((DirMeta d) -> d.dir().getNameCount()).reversed());
            for (DirMeta d : dirs) {
                Files.setAttribute(d.dir(), "unix:mode", d.mode(), NOFOLLOW);
                setMtime(d.dir(), d.mtime());
            }
        }
    }
}
