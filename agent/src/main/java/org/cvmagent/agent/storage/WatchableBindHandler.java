package org.cvmagent.agent.storage;

import org.cvmagent.rpc.RpcException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Kata's {@code watchable-bind} driver (its {@code BindWatcher}): the source directory, usually a
 * ConfigMap or Secret in the shared directory, is copied into a tmpfs at the mount point and kept up
 * to date while the storage is in use, because a file replaced on the host side is not seen through
 * an ordinary bind on every shared filesystem. As in kata's watcher, a source with more than
 * {@value #MAX_ENTRIES} entries or {@value #MAX_BYTES} bytes is not copied: the mount point gets a
 * plain bind of the source instead (at set-up, or on top of the copy when it grows too large later).
 *
 * <p>Refreshing is done by polling (kata: every {@code WATCH_INTERVAL_SECS} = 2 s) on a virtual
 * thread per storage, stopped when the storage is released. Differences from kata: the copy is
 * made for every owner (kata watches only storages added for a container), and a single-file
 * source is refused, since the manager always makes the mount point a directory.
 */
public final class WatchableBindHandler implements StorageHandler {

    /** Kata's {@code MAX_ENTRIES_PER_STORAGE}. */
    public static final int MAX_ENTRIES = 16;
    /** Kata's {@code MAX_SIZE_PER_WATCHABLE_MOUNT}. */
    public static final long MAX_BYTES = 1024 * 1024;
    /** Kata's {@code WATCH_INTERVAL_SECS}. */
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(2);

    private final Mounter mounter;
    private final Duration interval;
    private final int maxEntries;
    private final long maxBytes;

    public WatchableBindHandler(Mounter mounter) {
        this(mounter, DEFAULT_INTERVAL, MAX_ENTRIES, MAX_BYTES);
    }

    public WatchableBindHandler(Mounter mounter, Duration interval, int maxEntries, long maxBytes) {
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("watch interval must be positive, got " + interval);
        }
        this.mounter = mounter;
        this.interval = interval;
        this.maxEntries = maxEntries;
        this.maxBytes = maxBytes;
    }

    @Override
    public List<String> drivers() {
        return List.of("watchable-bind");
    }

    @Override
    public MountedStorage setUp(StorageRequest request) throws RpcException, IOException {
        MountLibc libc = mounter.libc();
        Descriptor source = GuestDirectory.open(libc, request, request.storage().getSource());
        Descriptor tmpfs = null;
        try {
            if (!Files.isDirectory(Path.of(source.procPath()))) {
                throw request.invalid("source", "a watchable-bind source must be a directory");
            }
            TreeSnapshot snapshot;
            try {
                snapshot = TreeSnapshot.read(libc, source, maxEntries, maxBytes);
            } catch (TreeSnapshot.TooLarge e) {
                bindSource(source, request);
                return () -> {
                    try (source) {
                        mounter.unmount(request.target());
                    }
                };
            }
            tmpfs = mounter.detached("tmpfs", "tmpfs",
                    new MountOptions(MountOptions.MS_NOSUID | MountOptions.MS_NODEV, "mode=0755"));
            new TreeWriter(libc).replaceContents(tmpfs, snapshot);
            mounter.attach(tmpfs, request.target());
            WatchedCopy copy = new WatchedCopy(mounter, new TreeWriter(libc), source, tmpfs, request.target(),
                    request.mountPoint(), snapshot, interval, maxEntries, maxBytes);
            copy.start();
            return copy::stop;
        } catch (IOException | RpcException | RuntimeException e) {
            closeAfterFailure(tmpfs, e);
            closeAfterFailure(source, e);
            throw e;
        }
    }

    /** Binds the source itself over the mount point (kata's fallback for a source too large to copy). */
    void bindSource(Descriptor source, StorageRequest request) throws IOException {
        mounter.mount(source.procPath(), request.target(), "bind", new MountOptions(MountOptions.MS_BIND, ""));
    }

    private static void closeAfterFailure(Descriptor descriptor, Exception primary) {
        if (descriptor == null) {
            return;
        }
        try {
            descriptor.close();
        } catch (IOException e) {
            primary.addSuppressed(e);
        }
    }
}
