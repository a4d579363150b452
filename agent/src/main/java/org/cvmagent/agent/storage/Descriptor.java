package org.cvmagent.agent.storage;

import java.io.IOException;

/**
 * A descriptor this package opened itself (a pinned bind source, a detached mount), closed once.
 * Not for concurrent use.
 */
final class Descriptor implements AutoCloseable {

    private final MountLibc libc;
    private final int fd;
    private final String description;
    private boolean closed;

    Descriptor(MountLibc libc, int fd, String description) {
        this.libc = libc;
        this.fd = fd;
        this.description = description;
    }

    int number() {
        if (closed) {
            throw new IllegalStateException(description + " is already closed");
        }
        return fd;
    }

    /** {@code /proc/self/fd/N}: names exactly the pinned inode. */
    String procPath() {
        return "/proc/self/fd/" + number();
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        // Linux releases the descriptor even when close reports an error, so it is never retried.
        int r = libc.close(fd);
        if (r < 0) {
            throw libc.failure("closing " + description, r);
        }
    }

    @Override
    public String toString() {
        return "fd " + fd + " (" + description + (closed ? ", closed)" : ")");
    }
}
