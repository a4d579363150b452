package org.cvmagent.agent.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The complete contents of a small directory tree (a watchable-bind source: a ConfigMap, a Secret),
 * read through descriptors so that a symbolic link swapped into the tree is read as a link and never
 * followed. Bounded as kata's watcher bounds a watchable mount: a tree with more entries or bytes
 * than allowed is reported as {@link TooLarge} instead of being read.
 *
 * @param nodes every entry below the root, each directory before its contents, in name order
 */
record TreeSnapshot(List<Node> nodes) {

    /** One entry; {@code path} is relative to the root, e.g. {@code ..data/key}. */
    sealed interface Node permits Directory, RegularFile, Link {
        String path();
    }

    record Directory(String path, int mode) implements Node {
    }

    /** File content as ISO-8859-1 text: a lossless byte carrier with a content-based equals. */
    record RegularFile(String path, int mode, String bytes) implements Node {
        byte[] content() {
            return bytes.getBytes(StandardCharsets.ISO_8859_1);
        }
    }

    record Link(String path, String target) implements Node {
    }

    /** The tree has more entries or bytes than a watchable mount may hold. */
    static final class TooLarge extends Exception {
        TooLarge(String message) {
            super(message);
        }
    }

    private static final long RESOLVE = MountLibc.RESOLVE_BENEATH | MountLibc.RESOLVE_NO_SYMLINKS
            | MountLibc.RESOLVE_NO_MAGICLINKS;

    /**
     * Reads the tree below the directory {@code root} pins. Devices, FIFOs and sockets are left out:
     * a copy of them would not be the same object, and opening a FIFO would block the watcher.
     */
    static TreeSnapshot read(MountLibc libc, Descriptor root, int maxEntries, long maxBytes)
            throws IOException, TooLarge {
        Reader reader = new Reader(libc, maxEntries, maxBytes);
        reader.walk(root.number(), "");
        return new TreeSnapshot(List.copyOf(reader.nodes));
    }

    private static final class Reader {
        private final MountLibc libc;
        private final int maxEntries;
        private final long maxBytes;
        private final List<Node> nodes = new ArrayList<>();
        private long bytes;

        Reader(MountLibc libc, int maxEntries, long maxBytes) {
            this.libc = libc;
            this.maxEntries = maxEntries;
            this.maxBytes = maxBytes;
        }

        void walk(int dirFd, String prefix) throws IOException, TooLarge {
            Path dir = Path.of("/proc/self/fd/" + dirFd);
            List<String> names = new ArrayList<>();
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
                for (Path entry : entries) {
                    names.add(entry.getFileName().toString());
                }
            }
            names.sort(null);
            for (String name : names) {
                String path = prefix + name;
                PosixFileAttributes attributes = Files.readAttributes(dir.resolve(name), PosixFileAttributes.class,
                        LinkOption.NOFOLLOW_LINKS);
                if (!attributes.isSymbolicLink() && !attributes.isDirectory() && !attributes.isRegularFile()) {
                    continue;
                }
                if (nodes.size() + 1 > maxEntries) {
                    throw new TooLarge("more than " + maxEntries + " entries");
                }
                if (attributes.isSymbolicLink()) {
                    String target = Files.readSymbolicLink(dir.resolve(name)).toString();
                    count(target.getBytes(StandardCharsets.UTF_8).length);
                    nodes.add(new Link(path, target));
                } else {
                    try (Descriptor child = open(dirFd, name, path)) {
                        Path pinned = Path.of(child.procPath());
                        PosixFileAttributes actual = Files.readAttributes(pinned, PosixFileAttributes.class);
                        int mode = mode(actual.permissions());
                        if (actual.isDirectory()) {
                            nodes.add(new Directory(path, mode));
                            walk(child.number(), path + "/");
                        } else if (actual.isRegularFile()) {
                            nodes.add(new RegularFile(path, mode, readBounded(pinned)));
                        } else {
                            throw new IOException("source entry \"" + path + "\" changed type while being read");
                        }
                    }
                }
            }
        }

        private Descriptor open(int dirFd, String name, String path) throws IOException {
            int fd = libc.openat2(dirFd, name, MountLibc.O_PATH | MountLibc.O_CLOEXEC, RESOLVE);
            if (fd < 0) {
                throw libc.failure("opening source entry \"" + path + "\"", fd);
            }
            return new Descriptor(libc, fd, "source entry " + path);
        }

        private void count(long size) throws TooLarge {
            bytes += size;
            if (bytes > maxBytes) {
                throw new TooLarge("more than " + maxBytes + " bytes");
            }
        }

        /**
         * Reads the file within what is left of the byte budget; one byte more is asked for, so a
         * file that is (or grew) too large is caught without reading all of it.
         */
        private String readBounded(Path pinned) throws IOException, TooLarge {
            long room = maxBytes - bytes;
            byte[] content;
            try (InputStream in = Files.newInputStream(pinned)) {
                content = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, room + 1));
            }
            count(content.length);
            return new String(content, StandardCharsets.ISO_8859_1);
        }
    }

    static int mode(Set<PosixFilePermission> permissions) {
        int mode = 0;
        for (PosixFilePermission p : permissions) {
            mode |= 1 << (8 - p.ordinal());
        }
        return mode;
    }
}
