package org.cvmagent.agent.storage;

import org.cvmagent.agent.fs.OpenFd;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;

/**
 * One watchable-bind copy being kept up to date: a virtual thread re-reads the source every
 * interval and, when anything differs, replaces the tmpfs contents. If the source grows beyond the
 * limits, the source is bound over the copy and watching stops (kata's fallback). A failed refresh
 * is logged and tried again at the next interval, as kata's watcher does.
 */
final class WatchedCopy {

    private static final System.Logger LOG = System.getLogger("org.cvmagent.agent.storage.watchable");

    private final Mounter mounter;
    private final TreeWriter writer;
    private final Descriptor source;
    private final Descriptor tmpfs;
    private final OpenFd target;
    private final String mountPoint;
    private final Duration interval;
    private final int maxEntries;
    private final long maxBytes;
    private final Object lock = new Object();

    private TreeSnapshot current;
    private boolean stopped;
    /** Whether the source has been bound on top of the copy (then there are two mounts to undo). */
    private boolean sourceBound;
    private Thread thread;

    WatchedCopy(Mounter mounter, TreeWriter writer, Descriptor source, Descriptor tmpfs, OpenFd target,
                String mountPoint, TreeSnapshot current, Duration interval, int maxEntries, long maxBytes) {
        this.mounter = mounter;
        this.writer = writer;
        this.source = source;
        this.tmpfs = tmpfs;
        this.target = target;
        this.mountPoint = mountPoint;
        this.current = current;
        this.interval = interval;
        this.maxEntries = maxEntries;
        this.maxBytes = maxBytes;
    }

    void start() {
        thread = Thread.ofVirtual().name("watchable-bind " + mountPoint).start(this::run);
    }

    private void run() {
        while (true) {
            try {
                Thread.sleep(interval);
            } catch (InterruptedException e) {
                return; // stop() interrupts: the storage is being released
            }
            synchronized (lock) {
                if (stopped) {
                    return;
                }
                refresh();
            }
        }
    }

    /** One poll; called with the lock held. */
    private void refresh() {
        try {
            TreeSnapshot latest = TreeSnapshot.read(mounter.libc(), source, maxEntries, maxBytes);
            if (!latest.equals(current)) {
                writer.replaceContents(tmpfs, latest);
                current = latest;
            }
        } catch (TreeSnapshot.TooLarge e) {
            try {
                mounter.mount(source.procPath(), target, "bind", new MountOptions(MountOptions.MS_BIND, ""));
                sourceBound = true;
                stopped = true;
                LOG.log(Level.INFO, "watchable storage at {0} has " + e.getMessage()
                        + "; replaced by a bind mount of its source", mountPoint);
            } catch (IOException bind) {
                LOG.log(Level.WARNING, "watchable storage at " + mountPoint + " is too large to copy and could"
                        + " not be replaced by a bind mount; still watching", bind);
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "refreshing watchable storage at " + mountPoint + " failed; retrying", e);
        }
    }

    /** Stops watching and undoes the mounts (the bind on top first, then the copy). */
    void stop() throws IOException {
        synchronized (lock) {
            stopped = true;
        }
        thread.interrupt();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while stopping the watcher of " + mountPoint, e);
        }
        // The descriptor of the copy's root keeps its mount busy; it must go before the unmount.
        tmpfs.close();
        if (sourceBound) {
            mounter.unmount(target);
            sourceBound = false;
        }
        mounter.unmount(target);
        source.close();
    }
}
