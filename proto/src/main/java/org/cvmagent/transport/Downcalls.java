package org.cvmagent.transport;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.VarHandle;

/**
 * The plumbing every FFM binding class of the project shares (transports, confined file system
 * access, process spawning): binding a libc symbol, reading the errno a call captured, and
 * turning the checked Throwable of {@code invokeExact} back into what can really come out.
 *
 * <p>Convention: a bound call returns its C result when non-negative and {@code -errno} when it
 * failed, so expected conditions such as EAGAIN cost no exception.
 */
@SuppressWarnings("restricted")
public final class Downcalls {

    /** The call-state buffer {@link #CAPTURE_ERRNO} writes errno into; allocate one per call. */
    public static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    /** Binding option that makes a downcall save errno into its leading call-state argument. */
    public static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private Downcalls() {
    }

    /**
     * C function {@code name}, to be linked with the descriptor and options on its first call
     * ({@link Downcall}). A missing symbol fails here.
     */
    public static Downcall bind(Linker linker, SymbolLookup lookup, String name,
                                FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment symbol = lookup.find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("C library has no symbol " + name));
        return new Downcall(linker, symbol, descriptor, options);
    }

    /**
     * A path or name as C sees it: UTF-8 bytes whatever the JVM's locale, NUL-terminated, refusing an
     * embedded NUL (which would silently cut the name C sees short of the one Java checked).
     * {@code null} is C's NULL (optional arguments such as mount(2)'s data).
     */
    public static MemorySegment cString(Arena arena, String text) {
        if (text == null) {
            return MemorySegment.NULL;
        }
        byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (byte b : bytes) {
            if (b == 0) {
                throw new IllegalArgumentException("a path or name must not contain a NUL byte");
            }
        }
        MemorySegment segment = arena.allocate(bytes.length + 1L);
        MemorySegment.copy(bytes, 0, segment, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, bytes.length);
        segment.set(java.lang.foreign.ValueLayout.JAVA_BYTE, bytes.length, (byte) 0);
        return segment;
    }

    /** The errno a call saved into {@code state}. */
    public static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    /** {@code value}, or {@code -errno} when the call failed. */
    public static int result(int value, MemorySegment state) {
        return value < 0 ? -errno(state) : value;
    }

    /** {@code value}, or {@code -errno} when the call failed. */
    public static long result(long value, MemorySegment state) {
        return value < 0 ? -errno(state) : value;
    }

    /** Downcalls declare Throwable; only unchecked errors can actually come out of them. */
    public static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("unexpected checked exception from a native call", t);
    }
}
