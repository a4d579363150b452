package org.cvmagent.agent.storage;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Replaces the contents of a directory the agent holds open (the root of a watchable-bind tmpfs)
 * with a {@link TreeSnapshot}. Containers may be able to write into that tmpfs, so every step goes
 * through a descriptor of the parent directory and follows no symbolic link: a link planted by a
 * container is removed as a link, and nothing is ever created or written through one.
 */
final class TreeWriter {

    private static final long RESOLVE = MountLibc.RESOLVE_BENEATH | MountLibc.RESOLVE_NO_SYMLINKS
            | MountLibc.RESOLVE_NO_MAGICLINKS;

    private final MountLibc libc;

    TreeWriter(MountLibc libc) {
        this.libc = libc;
    }

    void replaceContents(Descriptor root, TreeSnapshot snapshot) throws IOException {
        clear(root.number(), "");
        Map<String, Descriptor> directories = new HashMap<>();
        try {
            for (TreeSnapshot.Node node : snapshot.nodes()) {
                String path = node.path();
                int slash = path.lastIndexOf('/');
                int parent = slash < 0 ? root.number() : directories.get(path.substring(0, slash)).number();
                String name = path.substring(slash + 1);
                switch (node) {
                    case TreeSnapshot.Directory d -> {
                        check(libc.mkdirat(parent, name, 0700), "creating directory", path);
                        Descriptor made = open(parent, name, MountLibc.O_PATH | MountLibc.O_CLOEXEC, 0, path);
                        directories.put(path, made);
                        check(libc.chmod(made.procPath(), d.mode()), "setting the mode of", path);
                    }
                    case TreeSnapshot.RegularFile f -> {
                        // O_EXCL: the file is new, so no link or existing file is written through.
                        try (Descriptor file = open(parent, name, MountLibc.O_WRONLY | MountLibc.O_CREAT
                                | MountLibc.O_EXCL | MountLibc.O_CLOEXEC, 0600, path)) {
                            try (OutputStream out = Files.newOutputStream(Path.of(file.procPath()))) {
                                out.write(f.content());
                            }
                            check(libc.chmod(file.procPath(), f.mode()), "setting the mode of", path);
                        }
                    }
                    case TreeSnapshot.Link l -> check(libc.symlinkat(l.target(), parent, name), "creating link", path);
                }
            }
        } finally {
            IOException failure = null;
            for (Descriptor d : directories.values()) {
                try {
                    d.close();
                } catch (IOException e) {
                    failure = e;
                }
            }
            if (failure != null) {
                throw failure;
            }
        }
    }

    /** Removes everything below the directory {@code dirFd}; an entry already gone is fine. */
    private void clear(int dirFd, String prefix) throws IOException {
        Path dir = Path.of("/proc/self/fd/" + dirFd);
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                names.add(entry.getFileName().toString());
            }
        }
        for (String name : names) {
            String path = prefix + name;
            BasicFileAttributes attributes;
            try {
                attributes = Files.readAttributes(dir.resolve(name), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                continue; // removed by someone else meanwhile: the goal is reached
            }
            if (attributes.isDirectory()) {
                int fd = libc.openat2(dirFd, name, MountLibc.O_PATH | MountLibc.O_CLOEXEC, RESOLVE);
                if (fd >= 0) {
                    try (Descriptor sub = new Descriptor(libc, fd, "directory " + path)) {
                        clear(sub.number(), path + "/");
                    }
                    remove(dirFd, name, MountLibc.AT_REMOVEDIR, path);
                    continue;
                }
                if (fd != -MountLibc.ELOOP && fd != -MountLibc.ENOENT) {
                    throw libc.failure("opening \"" + path + "\" to clear it", fd);
                }
                // Swapped for a link (ELOOP) or removed meanwhile: unlinked as what it is now below.
            }
            remove(dirFd, name, 0, path);
        }
    }

    private void remove(int dirFd, String name, int flags, String path) throws IOException {
        int r = libc.unlinkat(dirFd, name, flags);
        if (r < 0 && r != -MountLibc.ENOENT) {
            throw libc.failure("removing \"" + path + "\"", r);
        }
    }

    private Descriptor open(int parent, String name, int flags, int mode, String path) throws IOException {
        int fd = libc.openat2(parent, name, flags, mode, RESOLVE);
        if (fd < 0) {
            throw libc.failure("opening \"" + path + "\"", fd);
        }
        return new Descriptor(libc, fd, path);
    }

    private void check(int result, String what, String path) throws IOException {
        if (result < 0) {
            throw libc.failure(what + " \"" + path + "\"", result);
        }
    }
}
