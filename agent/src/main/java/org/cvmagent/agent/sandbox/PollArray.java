package org.cvmagent.agent.sandbox;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The {@link OutputPoller}'s struct pollfd array in native memory: the wake eventfd first, then
 * one entry per polled stream. It grows by doubling and is refilled before every poll (tens of
 * entries: cheaper than keeping it in step with every change). Confined to the poller thread.
 */
final class PollArray implements AutoCloseable {

    private static final long FD = 0;
    private static final long EVENTS = 4;
    private static final long REVENTS = 6;

    private Arena arena = Arena.ofConfined();
    private MemorySegment entries = arena.allocate(PollLibc.POLLFD, 16);

    /** The array for {@code wakeFd} and the streams' fds, each polled for input. */
    MemorySegment fill(int wakeFd, List<PolledStream> streams) {
        long needed = streams.size() + 1L;
        if (entries.byteSize() < needed * PollLibc.POLLFD_BYTES) {
            long count = entries.byteSize() / PollLibc.POLLFD_BYTES;
            while (count < needed) {
                count *= 2;
            }
            Arena grown = Arena.ofConfined();
            entries = grown.allocate(PollLibc.POLLFD, count);
            arena.close();
            arena = grown;
        }
        set(0, wakeFd);
        for (int i = 0; i < streams.size(); i++) {
            set(i + 1, streams.get(i).fd());
        }
        return entries;
    }

    private void set(int index, int fd) {
        long at = index * PollLibc.POLLFD_BYTES;
        entries.set(JAVA_INT, at + FD, fd);
        entries.set(JAVA_SHORT, at + EVENTS, PollLibc.POLLIN);
        entries.set(JAVA_SHORT, at + REVENTS, (short) 0);
    }

    /** The events poll reported for entry {@code index}. */
    static short revents(MemorySegment entries, int index) {
        return entries.get(JAVA_SHORT, index * PollLibc.POLLFD_BYTES + REVENTS);
    }

    @Override
    public void close() {
        arena.close();
    }
}
