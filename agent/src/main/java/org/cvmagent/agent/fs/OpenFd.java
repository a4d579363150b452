package org.cvmagent.agent.fs;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * A file descriptor the agent owns, obtained beneath a {@link ConfinedRoot}. Using the descriptor
 * (rather than reopening by name) is what keeps a host that swaps symbolic links from redirecting
 * the use after the checked open. Not for concurrent use by several threads.
 */
public final class OpenFd implements AutoCloseable {

    private final FsLibc libc;
    private final int fd;
    private final String description;
    private boolean closed;

    OpenFd(FsLibc libc, int fd, String description) {
        this.libc = libc;
        this.fd = fd;
        this.description = description;
    }

    /** The descriptor number, e.g. for {@code /proc/self/fd/N} as a mount target. */
    public int number() {
        requireOpen();
        return fd;
    }

    /**
     * Where the descriptor really points, as the kernel reports it through
     * {@code /proc/self/fd/N}: this is the place that was opened, whatever the name said.
     */
    public Path realPath() throws IOException {
        requireOpen();
        return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd));
    }

    /**
     * {@code /proc/self/fd/N}: a path whose first lookup is the kernel's link to exactly this open
     * file, so names resolved beneath it start from the pinned directory, never from a re-lookup.
     */
    public Path procPath() {
        requireOpen();
        return Path.of("/proc/self/fd/" + fd);
    }

    /** Writes all of {@code data} at {@code offset} (pwrite, so the file position is not used). */
    public void write(byte[] data, long offset) throws IOException {
        requireOpen();
        if (offset < 0) {
            throw new IllegalArgumentException("negative file offset " + offset);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(Math.max(1, data.length));
            MemorySegment.copy(data, 0, buffer, JAVA_BYTE, 0, data.length);
            long done = 0;
            while (done < data.length) {
                long n = libc.pwrite(fd, buffer.asSlice(done), data.length - done, offset + done);
                if (n == -FsLibc.EINTR) {
                    continue; // EINTR: nothing was written, try again
                }
                if (n < 0) {
                    throw libc.failure("writing " + description, (int) n);
                }
                done += n;
            }
        }
    }

    /**
     * Reads from the start of the file until its end or {@code maxBytes}, whichever comes first
     * (pread, so the file position is not used): a file that keeps growing cannot make this read
     * more than the bound.
     */
    public byte[] readUpTo(int maxBytes) throws IOException {
        requireOpen();
        if (maxBytes < 0) {
            throw new IllegalArgumentException("negative read bound " + maxBytes);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(Math.max(1, maxBytes));
            long done = 0;
            while (done < maxBytes) {
                long n = libc.pread(fd, buffer.asSlice(done), maxBytes - done, done);
                if (n == -FsLibc.EINTR) {
                    continue; // EINTR: nothing was read, try again
                }
                if (n < 0) {
                    throw libc.failure("reading " + description, (int) n);
                }
                if (n == 0) {
                    break;
                }
                done += n;
            }
            return buffer.asSlice(0, done).toArray(JAVA_BYTE);
        }
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

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException(description + " is already closed");
        }
    }
}
