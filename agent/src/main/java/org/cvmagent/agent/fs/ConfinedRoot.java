package org.cvmagent.agent.fs;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * A directory held open by descriptor, beneath which host-named paths are opened and created with
 * the kernel enforcing the scope: every lookup goes through openat2(2) with
 * {@code RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS}, so {@code ..}, absolute paths and symbolic
 * links are resolved as if this directory were {@code /}, at the moment of use. Unlike
 * {@link ScopedPath#join}, a host changing the tree concurrently cannot redirect anything outside.
 *
 * <p>Calls may run concurrently; {@link #close} only once none is in progress, since the root
 * descriptor's number could otherwise be reused by an unrelated open.
 *
 * <p>There is no fallback for kernels without openat2 (before 5.6): resolving by name would be
 * exactly the race this class exists to close, so such a kernel gets a clear error instead.
 */
public final class ConfinedRoot implements AutoCloseable {

    /** Times a lookup is retried when the kernel reports a racing rename with EAGAIN. */
    private static final int EAGAIN_RETRIES = 32;

    private static final long IN_ROOT = FsLibc.RESOLVE_IN_ROOT | FsLibc.RESOLVE_NO_MAGICLINKS;
    /** For the single last component opened from its parent: no link of any kind is followed. */
    private static final long LAST_COMPONENT = FsLibc.RESOLVE_BENEATH | FsLibc.RESOLVE_NO_SYMLINKS
            | FsLibc.RESOLVE_NO_MAGICLINKS;
    private static final int AT_FDCWD = -100;

    private final FsLibc libc;
    private final Path root;
    private final OpenFd rootFd;

    private ConfinedRoot(FsLibc libc, Path root, OpenFd rootFd) {
        this.libc = libc;
        this.root = root;
        this.rootFd = rootFd;
    }

    /**
     * Opens {@code root}, a directory the agent trusts (its own path is resolved normally).
     *
     * @throws IOException if it cannot be opened, or openat2(2) is unavailable on this kernel
     */
    public static ConfinedRoot open(Path root) throws IOException {
        return open(FsLibc.load(), root);
    }

    static ConfinedRoot open(FsLibc libc, Path root) throws IOException {
        if (!root.isAbsolute()) {
            throw new IllegalArgumentException("confined root must be an absolute path, got " + root);
        }
        String what = "opening confined root " + root;
        int fd = retrying(libc, AT_FDCWD, root.toString(), pathDirFlags(libc), 0, 0, what);
        if (fd < 0) {
            throw libc.failure(what, fd);
        }
        return new ConfinedRoot(libc, root, new OpenFd(libc, fd, "confined root " + root));
    }

    /** The path this root was opened at (for messages; lookups use the descriptor). */
    public Path path() {
        return root;
    }

    /**
     * Creates {@code untrusted} and its missing parents beneath this root, one component at a time
     * (mkdir -p), and returns an {@code O_PATH} descriptor of the final directory. Symbolic links on
     * the way are followed as if this root were {@code /}, including links to directories that do
     * not exist yet (those are created where the link points inside the root, as
     * {@link ScopedPath#join} would name them), up to {@value ScopedPath#MAX_SYMLINKS} links.
     *
     * @param mode permission bits for created directories (the process umask applies)
     * @throws IOException naming the path and the errno text when a component exists but is not a
     *         directory, links loop, or a directory cannot be created
     */
    public OpenFd mkdirs(String untrusted, int mode) throws IOException {
        ScopedPath.requireUsable(untrusted);
        String what = "creating directory " + quote(untrusted) + " beneath " + root;
        Deque<String> pending = new ArrayDeque<>(names(untrusted));
        int parent = openInRoot(".", what);
        // The path from the root that 'parent' was opened by: each step is looked up again from
        // the root fd, so the kernel resolves '..' and links with RESOLVE_IN_ROOT every time.
        String prefix = "";
        int linksFollowed = 0;
        try {
            while (!pending.isEmpty()) {
                String name = pending.removeFirst();
                String soFar = prefix.isEmpty() ? name : prefix + "/" + name;
                int fd = retrying(libc, rootFd.number(), soFar, pathDirFlags(libc), 0, IN_ROOT, what);
                if (fd == -FsLibc.ENOENT) {
                    // mkdirat on one plain name in a directory we hold open never follows a link.
                    int made = libc.mkdirat(parent, name, mode);
                    if (made < 0 && made != -FsLibc.EEXIST) {
                        throw libc.failure(what + ": mkdir " + quote(soFar), made);
                    }
                    // Open what is there now from the directory we made it in, following nothing:
                    // looking it up from the root again could land elsewhere if the host moved a link.
                    fd = retrying(libc, parent, name, pathDirFlags(libc), 0, LAST_COMPONENT, what);
                    if (fd == -FsLibc.ELOOP) {
                        // A link to something missing inside the root: continue along its target.
                        if (++linksFollowed > ScopedPath.MAX_SYMLINKS) {
                            throw new IOException(what + ": too many levels of symbolic links (more than "
                                    + ScopedPath.MAX_SYMLINKS + ")");
                        }
                        String target = readLink(parent, name, what + ": reading link " + quote(soFar));
                        List<String> expansion = names(target);
                        for (int i = expansion.size() - 1; i >= 0; i--) {
                            pending.addFirst(expansion.get(i));
                        }
                        if (target.startsWith("/")) {
                            prefix = "";
                            int previous = parent;
                            parent = openInRoot(".", what);
                            closeOwned(previous);
                        }
                        continue;
                    }
                }
                if (fd == -FsLibc.ENOTDIR) {
                    throw new IOException(what + ": " + quote(soFar) + " exists and is not a directory");
                }
                if (fd == -FsLibc.ENOENT) {
                    throw new IOException(what + ": " + quote(soFar) + " was removed while being created");
                }
                if (fd < 0) {
                    throw libc.failure(what + ": opening " + quote(soFar), fd);
                }
                int previous = parent;
                parent = fd;
                prefix = soFar;
                closeOwned(previous);
            }
        } catch (IOException | RuntimeException e) {
            closeAfterFailure(parent, e);
            throw e;
        }
        return new OpenFd(libc, parent, "directory " + quote(untrusted) + " beneath " + root);
    }

    private String readLink(int dirfd, String name, String what) throws IOException {
        int[] error = new int[1];
        String target = libc.readlinkat(dirfd, name, error);
        if (target == null) {
            throw libc.failure(what, error[0]);
        }
        if (target.isEmpty()) {
            throw new IOException(what + ": the link target is empty");
        }
        return target;
    }

    /**
     * Opens the file {@code untrusted} beneath this root for writing, creating it with {@code mode}
     * when missing. The parent directory must exist (see {@link #mkdirs}); it is found as if this
     * root were {@code /}. The last component must be a regular file or absent: a symbolic link
     * there is never written through, and a device, FIFO or socket is refused before it is opened
     * for writing (opening some devices has effects of its own, and a FIFO would block).
     *
     * @param truncate whether an existing file is emptied
     */
    public OpenFd openForWriting(String untrusted, int mode, boolean truncate) throws IOException {
        ScopedPath.requireUsable(untrusted);
        String what = "opening " + quote(untrusted) + " beneath " + root + " for writing";
        List<String> raw = ScopedPath.components(untrusted);
        String last = raw.getLast();
        if (last.isEmpty() || last.equals(".") || last.equals("..")) {
            throw new IllegalArgumentException(what + ": the path names a directory, not a file");
        }
        List<String> parentNames = names(String.join("/", raw.subList(0, raw.size() - 1)));
        String parentPath = parentNames.isEmpty() ? "." : String.join("/", parentNames);
        int parent = openInRoot(parentPath, what);
        int fd;
        try {
            // O_EXCL: a file this call creates is certainly a new regular file.
            fd = retrying(libc, parent, last, FsLibc.O_WRONLY | FsLibc.O_CREAT | FsLibc.O_EXCL | FsLibc.O_CLOEXEC
                    | FsLibc.O_NOCTTY | libc.oNofollow(), mode, LAST_COMPONENT, what);
            if (fd == -FsLibc.EEXIST) {
                fd = reopenRegularFile(parent, last, truncate, what);
            } else if (fd < 0) {
                throw libc.failure(what, fd);
            }
        } catch (IOException | RuntimeException e) {
            closeAfterFailure(parent, e);
            throw e;
        }
        return handOver(fd, untrusted, parent, what + ": closing parent directory");
    }

    /**
     * Opens the regular file {@code untrusted} beneath this root for reading, following no
     * symbolic link anywhere on the way: every component is resolved by the kernel in one
     * openat2(2) with {@code RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS}, so a directory the host swaps
     * for a link at any moment makes the open fail instead of leading elsewhere, and {@code ..}
     * cannot climb out. The file is pinned with an {@code O_PATH} descriptor and its type checked
     * on it before it is opened for reading (opening a FIFO would block, a device could act).
     *
     * @throws RefusedPathException when the path has a symbolic link, leaves the root, or does not
     *         name a regular file
     * @throws IOException          when it does not exist or cannot be opened
     */
    public OpenFd openRegularForReading(String untrusted) throws IOException {
        ScopedPath.requireUsable(untrusted);
        String what = "opening " + quote(untrusted) + " beneath " + root + " for reading";
        List<String> parts = names(untrusted);
        if (parts.isEmpty()) {
            throw new RefusedPathException(what + ": the path names the root directory, not a file");
        }
        int pinned = retrying(libc, rootFd.number(), String.join("/", parts),
                FsLibc.O_PATH | FsLibc.O_CLOEXEC | libc.oNofollow(), 0, LAST_COMPONENT, what);
        if (pinned == -FsLibc.ELOOP) {
            throw new RefusedPathException(what + ": a component is a symbolic link; none is followed here");
        }
        if (pinned == -FsLibc.EXDEV) {
            throw new RefusedPathException(what + ": the path leads outside " + root);
        }
        if (pinned < 0) {
            throw libc.failure(what, pinned);
        }
        int fd;
        try {
            fd = reopenIfRegular(pinned, untrusted, FsLibc.O_RDONLY, "read", what);
        } catch (IOException | RuntimeException e) {
            closeAfterFailure(pinned, e);
            throw e;
        }
        return handOver(fd, untrusted, pinned, what + ": closing its O_PATH descriptor");
    }

    /**
     * The file {@code fd} as an {@link OpenFd}, once the descriptor that led to it ({@code helper}: a
     * parent directory, an {@code O_PATH} pin) is closed; if that close fails, the file is closed too.
     */
    private OpenFd handOver(int fd, String untrusted, int helper, String closing) throws IOException {
        OpenFd file = new OpenFd(libc, fd, "file " + quote(untrusted) + " beneath " + root);
        int closed = libc.close(helper);
        if (closed < 0) {
            IOException failure = libc.failure(closing, closed);
            try {
                file.close();
            } catch (IOException e) {
                failure.addSuppressed(e);
            }
            throw failure;
        }
        return file;
    }

    /**
     * Opens an existing {@code name} in {@code parent} for writing if it is a regular file. It is
     * first pinned with an {@code O_PATH} descriptor (which opens nothing), its type checked on that
     * descriptor, and only then reopened for writing through {@code /proc/self/fd}, so the check and
     * the open are about the same inode even if the host renames things in between.
     */
    private int reopenRegularFile(int parent, String name, boolean truncate, String what) throws IOException {
        int pinned = retrying(libc, parent, name, FsLibc.O_PATH | FsLibc.O_CLOEXEC | libc.oNofollow(), 0,
                LAST_COMPONENT, what);
        if (pinned < 0) {
            throw libc.failure(what + ": opening existing " + quote(name), pinned);
        }
        int fd;
        try {
            fd = reopenIfRegular(pinned, name, FsLibc.O_WRONLY | (truncate ? FsLibc.O_TRUNC : 0), "write", what);
        } catch (IOException | RuntimeException e) {
            closeAfterFailure(pinned, e);
            throw e;
        }
        int r = libc.close(pinned);
        if (r < 0) {
            IOException failure = libc.failure(what + ": closing " + quote(name), r);
            closeAfterFailure(fd, failure);
            throw failure;
        }
        return fd;
    }

    /**
     * Reopens the inode pinned by the {@code O_PATH} descriptor {@code pinned} with {@code access}
     * flags, if it is a regular file: the type is checked on the pin, so the check and the open are
     * about the same inode (a FIFO would block the open, a device could act on it).
     *
     * @param purpose "read" or "write", for messages
     * @throws RefusedPathException when it is a symbolic link or not a regular file
     */
    private int reopenIfRegular(int pinned, String name, int access, String purpose, String what) throws IOException {
        int type = libc.fileType(pinned);
        if (type < 0) {
            throw libc.failure(what + ": examining " + quote(name), type);
        }
        if (type == FsLibc.S_IFLNK) {
            throw new RefusedPathException(what + ": " + quote(name) + " is a symbolic link; refusing to " + purpose
                    + " through it");
        }
        if (type != FsLibc.S_IFREG) {
            throw new RefusedPathException(what + ": " + quote(name) + " is not a regular file (type 0"
                    + Integer.toOctalString(type) + ")");
        }
        // The magic link names exactly the pinned inode; it is the one link this lookup may follow.
        int fd = retrying(libc, AT_FDCWD, "/proc/self/fd/" + pinned, access | FsLibc.O_CLOEXEC | FsLibc.O_NOCTTY,
                0, 0, what);
        if (fd < 0) {
            throw libc.failure(what + ": reopening " + quote(name) + " to " + purpose, fd);
        }
        return fd;
    }

    @Override
    public void close() throws IOException {
        rootFd.close();
    }

    private int openInRoot(String path, String what) throws IOException {
        int fd = retrying(libc, rootFd.number(), path, pathDirFlags(libc), 0, IN_ROOT, what);
        if (fd == -FsLibc.ENOENT) {
            throw new IOException(what + ": directory " + quote(path) + " does not exist");
        }
        if (fd == -FsLibc.ENOTDIR) {
            throw new IOException(what + ": " + quote(path) + " is not a directory");
        }
        if (fd < 0) {
            throw libc.failure(what + ": opening " + quote(path), fd);
        }
        return fd;
    }

    /**
     * openat2 with the retries the kernel asks for: EAGAIN means a concurrent rename made it
     * unable to prove that a {@code ..} stayed inside the root. ENOSYS is turned into a failure
     * here, so no caller can mistake it for a missing file.
     *
     * @return a descriptor, or {@code -errno} for the caller to interpret
     */
    private static int retrying(FsLibc libc, int dirfd, String path, int flags, int mode, long resolve,
                                String what) throws IOException {
        int fd = -FsLibc.EAGAIN;
        for (int attempt = 0; attempt <= EAGAIN_RETRIES && fd == -FsLibc.EAGAIN; attempt++) {
            fd = libc.openat2(dirfd, path, flags, mode, resolve);
        }
        if (fd == -FsLibc.ENOSYS) {
            throw new IOException(what + ": this kernel has no openat2(2) (Linux 5.6 or later is needed);"
                    + " refusing to resolve host-supplied paths without it");
        }
        if (fd == -FsLibc.EAGAIN) {
            throw new IOException(what + ": the tree kept changing during lookup of " + quote(path)
                    + " (EAGAIN " + (EAGAIN_RETRIES + 1) + " times)");
        }
        return fd;
    }

    private static int pathDirFlags(FsLibc libc) {
        return FsLibc.O_PATH | libc.oDirectory() | FsLibc.O_CLOEXEC;
    }

    /** The components that name something: empty ones (from {@code //}) and {@code .} dropped. */
    private static List<String> names(String path) {
        List<String> names = new ArrayList<>();
        for (String name : ScopedPath.components(path)) {
            if (!name.isEmpty() && !name.equals(".")) {
                names.add(name);
            }
        }
        return names;
    }

    private void closeOwned(int fd) throws IOException {
        int r = libc.close(fd);
        if (r < 0) {
            throw libc.failure("closing a directory beneath " + root, r);
        }
    }

    /** Releases a descriptor (a directory or a file) while another failure is already on its way out. */
    private void closeAfterFailure(int fd, Exception primary) {
        int r = libc.close(fd);
        if (r < 0) {
            primary.addSuppressed(libc.failure("closing a descriptor beneath " + root, r));
        }
    }

    private static String quote(String s) {
        return '"' + s + '"';
    }
}
