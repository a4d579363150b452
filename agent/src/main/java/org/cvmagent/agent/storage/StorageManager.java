package org.cvmagent.agent.storage;

import org.cvmagent.agent.fs.ConfinedRoot;
import org.cvmagent.agent.fs.OpenFd;
import org.cvmagent.proto.agent.Storage;
import org.cvmagent.rpc.RpcException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The storages of one sandbox, as kata's {@code add_storages} and sandbox storage map keep them:
 * each mount point is set up once by the handler for its driver and reference-counted, so the same
 * storage named by several containers is mounted once and removed with its last user.
 *
 * <p>Every mount point must lie beneath the sandbox root. Its directory is created and opened
 * through a {@link ConfinedRoot}, and handlers mount onto that open directory, so neither
 * {@code ..} nor a symbolic link the host plants or swaps in can move a mount outside the root.
 *
 * <p>Calls are serialized: a storage being set up is never seen half-done by another call.
 */
public final class StorageManager implements AutoCloseable {

    /** Mode of mount point directories kata creates ({@code MOUNT_DIR_PERM}). */
    private static final int DIRECTORY_MODE = 0755;

    private final ConfinedRoot root;
    private final StorageHandlers handlers;
    private final MountLibc libc;
    /** By normalized mount point, in the order they were set up (released in reverse by releaseAll). */
    private final Map<String, Entry> entries = new LinkedHashMap<>();

    /**
     * @param sandboxRoot the directory all mount points must lie beneath, e.g. /run/kata-containers;
     *                    it must exist
     * @throws IOException if it cannot be opened
     */
    public StorageManager(Path sandboxRoot, StorageHandlers handlers) throws IOException {
        this(ConfinedRoot.open(sandboxRoot), handlers, MountLibc.load());
    }

    StorageManager(ConfinedRoot root, StorageHandlers handlers, MountLibc libc) {
        this.root = root;
        this.handlers = handlers;
        this.libc = libc;
    }

    /**
     * Sets up every storage in order and returns their mount points (normalized). A mount point
     * already set up gains a reference instead of being mounted again. If one fails, every
     * reference this call took is released again before the exception leaves.
     *
     * @param owner who holds the references (a container id, or empty for the sandbox)
     * @throws RpcException INVALID_ARGUMENT naming the field ({@code storages[i].driver},
     *         {@code .mount_point}, {@code .options}, ...); NOT_FOUND for a device that did not
     *         appear; INTERNAL with the errno text when the system refused
     */
    public synchronized List<String> add(List<Storage> storages, String owner) throws RpcException {
        List<String> added = new ArrayList<>();
        try {
            for (int i = 0; i < storages.size(); i++) {
                added.add(addOne("storages[" + i + "]", storages.get(i), owner));
            }
        } catch (RpcException | RuntimeException e) {
            for (int i = added.size() - 1; i >= 0; i--) {
                try {
                    releaseOne(added.get(i));
                } catch (RpcException undo) {
                    e.addSuppressed(undo);
                }
            }
            throw e;
        }
        return List.copyOf(added);
    }

    /**
     * Drops one reference to {@code mountPoint}; the last one undoes the set-up and removes the
     * mount point directory if it is empty.
     *
     * @throws RpcException NOT_FOUND if nothing is set up there; INTERNAL if it cannot be undone
     *         (the reference is then kept, so the release can be retried)
     */
    public synchronized void release(String mountPoint) throws RpcException {
        MountPoint point;
        try {
            point = MountPoint.of(root.path(), mountPoint);
        } catch (IllegalArgumentException e) {
            throw RpcException.notFound("no storage is mounted at " + quote(mountPoint));
        }
        releaseOne(point.normalized());
    }

    /** Releases every storage whatever its reference count, newest first; failures are gathered. */
    public synchronized void releaseAll() throws RpcException {
        RpcException failure = null;
        for (String key : new ArrayList<>(entries.keySet()).reversed()) {
            Entry entry = entries.get(key);
            try {
                while (entries.containsKey(key) && entry.references > 0) {
                    releaseOne(key);
                }
            } catch (RpcException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * UpdateEphemeralMounts, as kata does it: each storage names an {@code ephemeral} tmpfs set up
     * before, and its options (kata sends {@code remount,size=…}; {@code fsgid} is left as it was)
     * are applied to that mount with a remount. A storage without options is left alone.
     *
     * @throws RpcException INVALID_ARGUMENT for another driver or bad options, NOT_FOUND for a mount
     *         point with no ephemeral storage, INTERNAL when the kernel refuses the remount
     */
    public synchronized void updateEphemeral(List<Storage> storages) throws RpcException {
        for (int i = 0; i < storages.size(); i++) {
            String field = "storages[" + i + "]";
            Storage storage = storages.get(i);
            if (!storage.getDriver().equals("ephemeral")) {
                throw RpcException.invalidArgument(field + ".driver: only ephemeral storage can be updated, got "
                        + quote(storage.getDriver()));
            }
            MountPoint point;
            try {
                point = MountPoint.of(root.path(), storage.getMountPoint());
            } catch (IllegalArgumentException e) {
                throw RpcException.invalidArgument(field + ".mount_point: " + e.getMessage());
            }
            Entry entry = entries.get(point.normalized());
            if (entry == null || !entry.driver.equals("ephemeral")) {
                throw RpcException.notFound(field + ".mount_point: no ephemeral storage is mounted at "
                        + quote(point.normalized()));
            }
            List<String> options = storage.getOptionsList().stream()
                    .filter(o -> !o.equals("remount") && !o.startsWith(KeyValueOptions.FS_GID + "=")).toList();
            if (options.isEmpty()) {
                continue;
            }
            MountOptions parsed;
            try {
                parsed = MountOptions.parse(options);
            } catch (IllegalArgumentException e) {
                throw RpcException.invalidArgument(field + ".options: " + e.getMessage());
            }
            remount(field, point, parsed);
        }
    }

    /** Remounts the file system now mounted at {@code point}, reached through a confined descriptor. */
    private void remount(String field, MountPoint point, MountOptions options) throws RpcException {
        // Opened now, the lookup lands on the mounted file system's root, which is what a remount
        // needs; the descriptor taken before mounting names the directory underneath.
        try (OpenFd mounted = root.mkdirs(point.relative(), DIRECTORY_MODE)) {
            int r = libc.mount(null, "/proc/self/fd/" + mounted.number(), null,
                    MountOptions.MS_REMOUNT | options.mainFlags(), options.data());
            if (r < 0) {
                throw libc.failure("remounting " + quote(point.normalized()) + " with " + options.data(), r);
            }
        } catch (IOException e) {
            throw RpcException.internal(field + ": " + e.getMessage(), e);
        }
    }

    /** How many references {@code mountPoint} has; 0 when nothing is set up there. */
    public synchronized int references(String mountPoint) {
        try {
            Entry entry = entries.get(MountPoint.of(root.path(), mountPoint).normalized());
            return entry == null ? 0 : entry.references;
        } catch (IllegalArgumentException e) {
            return 0;
        }
    }

    /** The mount points set up, oldest first. */
    public synchronized List<String> mountPoints() {
        return List.copyOf(entries.keySet());
    }

    /** Releases everything, then closes the root. */
    @Override
    public synchronized void close() throws RpcException, IOException {
        releaseAll();
        root.close();
    }

    /**
     * Sets up one storage that is not one of kata's drivers (the confidential data hub's SecureMount)
     * with {@code handler}, at {@code mountPoint} beneath the sandbox root, confined and
     * reference-counted like the others, and released with {@link #release} or {@link #releaseAll}.
     *
     * @param field   what asked, for messages (e.g. {@code SecureMount})
     * @param handler sets up the storage on the mount point it is given
     * @throws RpcException INVALID_ARGUMENT for a mount point outside the sandbox root; whatever the
     *         handler throws; INTERNAL when the system refused
     */
    public synchronized String mountWith(String field, String mountPoint, String driver, SetUp handler,
                                         String owner) throws RpcException {
        try {
            if (entries.containsKey(MountPoint.of(root.path(), mountPoint).normalized())) {
                throw new RpcException(io.grpc.Status.Code.ALREADY_EXISTS, field + ": something is already mounted at "
                        + quote(mountPoint));
            }
        } catch (IllegalArgumentException e) {
            throw RpcException.invalidArgument(field + ".mount_point: " + e.getMessage());
        }
        StorageHandler wrapped = new StorageHandler() {
            @Override
            public List<String> drivers() {
                return List.of(driver);
            }

            @Override
            public MountedStorage setUp(StorageRequest request) throws RpcException, IOException {
                return handler.setUp(request);
            }
        };
        return addWith(field, Storage.newBuilder().setDriver(driver).setMountPoint(mountPoint).build(), wrapped, owner);
    }

    /** Sets up one storage on the mount point of {@code request}, for {@link #mountWith}. */
    @FunctionalInterface
    public interface SetUp {
        MountedStorage setUp(StorageRequest request) throws RpcException, IOException;
    }

    private String addOne(String field, Storage storage, String owner) throws RpcException {
        Optional<StorageHandler> handler = handlers.forDriver(storage.getDriver());
        if (handler.isEmpty()) {
            throw RpcException.invalidArgument(field + ".driver: unknown storage driver " + quote(storage.getDriver())
                    + " (known: " + String.join(", ", handlers.drivers()) + ")");
        }
        return addWith(field, storage, handler.get(), owner);
    }

    private String addWith(String field, Storage storage, StorageHandler handler, String owner) throws RpcException {
        MountPoint point;
        try {
            point = MountPoint.of(root.path(), storage.getMountPoint());
        } catch (IllegalArgumentException e) {
            throw RpcException.invalidArgument(field + ".mount_point: " + e.getMessage());
        }
        Entry existing = entries.get(point.normalized());
        if (existing != null) {
            existing.references++;
            return point.normalized();
        }
        OpenFd parent = null;
        OpenFd target = null;
        try {
            parent = root.mkdirs(point.parent(), DIRECTORY_MODE);
            target = root.mkdirs(point.relative(), DIRECTORY_MODE);
            StorageRequest request = new StorageRequest(field, storage, target, point.normalized(), owner);
            MountedStorage mounted = handler.setUp(request);
            entries.put(point.normalized(), new Entry(storage.getDriver(), point, parent, target, mounted));
            return point.normalized();
        } catch (IOException e) {
            RpcException failure = RpcException.internal(field + ": setting up " + storage.getDriver()
                    + " storage at " + quote(point.normalized()) + ": " + e.getMessage(), e);
            discard(point, parent, target, failure);
            throw failure;
        } catch (UncheckedIOException | DirectoryIteratorException e) {
            // I/O failures from directory iteration arrive unchecked; they are the system refusing too.
            RpcException failure = RpcException.internal(field + ": setting up " + storage.getDriver()
                    + " storage at " + quote(point.normalized()) + ": " + e.getCause().getMessage(), e);
            discard(point, parent, target, failure);
            throw failure;
        } catch (RpcException | RuntimeException e) {
            discard(point, parent, target, e);
            throw e;
        }
    }

    private void releaseOne(String key) throws RpcException {
        Entry entry = entries.get(key);
        if (entry == null) {
            throw RpcException.notFound("no storage is mounted at " + quote(key));
        }
        if (entry.references > 1) {
            entry.references--;
            return;
        }
        try {
            entry.mounted.release();
        } catch (IOException e) {
            throw RpcException.internal("releasing storage at " + quote(key) + ": " + e.getMessage(), e);
        }
        entries.remove(key);
        RpcException failure = null;
        try {
            entry.target.close();
            removeDirectory(entry.point, entry.parent);
        } catch (IOException e) {
            failure = RpcException.internal("removing mount point " + quote(key) + ": " + e.getMessage(), e);
        }
        try {
            entry.parent.close();
        } catch (IOException e) {
            RpcException closing = RpcException.internal("closing the parent of " + quote(key) + ": "
                    + e.getMessage(), e);
            if (failure == null) {
                failure = closing;
            } else {
                failure.addSuppressed(closing);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Undoes the directory work of an {@link #addOne} whose handler failed. */
    private void discard(MountPoint point, OpenFd parent, OpenFd target, Exception primary) {
        try {
            if (target != null) {
                target.close();
            }
            if (parent != null) {
                removeDirectory(point, parent);
                parent.close();
            }
        } catch (IOException e) {
            primary.addSuppressed(e);
        }
    }

    /**
     * Removes the mount point directory from the parent directory held open, as kata's storage
     * cleanup does. Kata leaves the directory when it is not empty or lives on a read-only
     * filesystem; those outcomes, and a name that is gone or has become something else than a
     * directory (only the host can have done that, and nothing of ours is there), leave it too.
     */
    private void removeDirectory(MountPoint point, OpenFd parent) throws IOException {
        int r = libc.unlinkat(parent.number(), point.name(), MountLibc.AT_REMOVEDIR);
        if (r < 0 && r != -MountLibc.ENOTEMPTY && r != -MountLibc.EROFS && r != -MountLibc.ENOENT
                && r != -MountLibc.ENOTDIR) {
            throw libc.failure("removing mount point directory " + quote(point.normalized()), r);
        }
    }

    private static String quote(String s) {
        return '"' + s + '"';
    }

    /** One set-up storage. */
    private static final class Entry {
        final String driver;
        final MountPoint point;
        final OpenFd parent;
        final OpenFd target;
        final MountedStorage mounted;
        int references = 1;

        Entry(String driver, MountPoint point, OpenFd parent, OpenFd target, MountedStorage mounted) {
            this.driver = driver;
            this.point = point;
            this.parent = parent;
            this.target = target;
            this.mounted = mounted;
        }
    }
}
