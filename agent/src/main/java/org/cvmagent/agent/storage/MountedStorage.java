package org.cvmagent.agent.storage;

import java.io.IOException;

/** What a handler set up for one storage, and how to undo it when its last user is gone. */
@FunctionalInterface
public interface MountedStorage {

    /**
     * Undoes the set-up (unmounts, stops watchers). Called once, when the storage's reference count
     * reaches zero; the manager removes the mount point directory afterwards.
     *
     * @throws IOException when it could not be undone; the storage then stays registered
     */
    void release() throws IOException;

    /** For handlers that mount nothing (kata's {@code local}). */
    static MountedStorage nothing() {
        return () -> { };
    }
}
