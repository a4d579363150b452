package org.cvmagent.rpc;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bound on the heap held by requests in flight, over every connection: a call reserves what it
 * is about to allocate (its frame, the messages decoded from it, its policy input) before
 * allocating it, and gives everything back once it is done. The host sends every request, so
 * without such a bound it could make the agent allocate many times its heap (connections × calls
 * per connection × 4 MiB frames, each expanding several times when decoded) and turn one
 * OutOfMemoryError into calls nobody answers. Over the bound a new call is refused
 * (RESOURCE_EXHAUSTED) instead, while those already admitted go on.
 */
public final class MemoryBudget {

    /**
     * The share of the maximum heap that requests in flight may hold. The other half is the
     * agent's own: sandboxes, containers, the policy engine's state, buffers of process output,
     * and the garbage collector's headroom (a heap filled by live data thrashes long before the
     * OutOfMemoryError).
     */
    static final int HEAP_DIVISOR = 2;

    private final long limit;
    private final AtomicLong held = new AtomicLong();

    /** @param limit bytes that reservations may hold at once */
    public MemoryBudget(long limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("memory budget must be positive, got " + limit);
        }
        this.limit = limit;
    }

    /** Half of {@code maxHeapBytes} (see {@link #HEAP_DIVISOR}): the default for the agent. */
    public static MemoryBudget forHeap(long maxHeapBytes) {
        return new MemoryBudget(Math.max(1, maxHeapBytes / HEAP_DIVISOR));
    }

    /** Half of this JVM's maximum heap ({@code -Xmx}). */
    public static MemoryBudget forThisHeap() {
        return forHeap(Runtime.getRuntime().maxMemory());
    }

    /** A budget that never refuses, for clients and tools that decode what they asked for. */
    public static MemoryBudget unbounded() {
        return new MemoryBudget(Long.MAX_VALUE);
    }

    public long limit() {
        return limit;
    }

    /** Bytes reserved now, over all reservations. */
    public long held() {
        return held.get();
    }

    /** A reservation of {@code bytes}, or empty when the budget cannot spare them. */
    public Optional<Reservation> tryReserve(long bytes) {
        if (!take(bytes)) {
            return Optional.empty();
        }
        return Optional.of(new Reservation(bytes));
    }

    private boolean take(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("cannot reserve a negative size: " + bytes);
        }
        while (true) {
            long now = held.get();
            if (bytes > limit - now) {
                return false;
            }
            if (held.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    /**
     * Bytes one call holds against the budget. It grows as the call learns what it must allocate
     * next and is released once, by its owner, when the call is done with all of it.
     */
    public final class Reservation implements AutoCloseable {
        // guarded by this: a deadline's thread may release while the call's own thread grows
        private long bytes;
        private boolean closed;

        private Reservation(long bytes) {
            this.bytes = bytes;
        }

        /**
         * Reserves {@code more} bytes in addition, before the caller allocates them.
         *
         * @param what what the bytes are for, named in the refusal
         * @throws MemoryBudgetExceededException when the budget cannot spare them; what this
         *         reservation already holds stays held until it is closed
         */
        public synchronized void grow(long more, String what) {
            if (closed) {
                throw new IllegalStateException("reservation already released");
            }
            if (!take(more)) {
                throw new MemoryBudgetExceededException(what + " needs about " + more
                        + " bytes, more than the agent's budget for requests in flight has free ("
                        + Math.max(0, limit - held.get()) + " of " + limit + " bytes); try again later");
            }
            bytes += more;
        }

        /** Bytes this reservation holds. */
        public synchronized long bytes() {
            return bytes;
        }

        /** Gives every byte back; later calls do nothing. */
        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                held.addAndGet(-bytes);
            }
        }
    }
}
