package org.cvmagent.transport;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.MutableCallSite;
import java.util.Arrays;

/**
 * A downcall handle that is linked on its first call instead of when it is bound.
 *
 * <p>Why: linking ({@link Linker#downcallHandle}) generates a stub class and a dozen LambdaForms
 * per signature at run time, which no AOT cache of JDK 25 keeps. The agent binds ~40 libc
 * functions in its binding classes' constructors before it serves, most of them for later
 * (posix_spawn and its file actions, mount calls, image unpacking): natively more than half of the
 * agent's start, and tens of seconds in a TCG guest. Bound lazily, only the calls the start really
 * makes are linked then.
 *
 * <p>The handle has exactly the type the linker's handle will have, so callers keep using
 * {@code invokeExact}; after the first call the call site's target is the linked handle itself.
 */
final class LazyDowncall {

    private static final MethodHandle LINK;

    static {
        try {
            LINK = MethodHandles.lookup().findVirtual(LazyDowncall.class, "link", MethodType.methodType(MethodHandle.class));
        } catch (NoSuchMethodException | IllegalAccessException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final MutableCallSite site;
    private final Linker linker;
    private final MemorySegment symbol;
    private final FunctionDescriptor descriptor;
    private final Linker.Option[] options;
    private volatile MethodHandle linked;

    private LazyDowncall(MutableCallSite site, Linker linker, MemorySegment symbol, FunctionDescriptor descriptor,
                         Linker.Option[] options) {
        this.site = site;
        this.linker = linker;
        this.symbol = symbol;
        this.descriptor = descriptor;
        this.options = options.clone();
    }

    /** A handle of the linker's downcall type for {@code symbol} that links on first use. */
    static MethodHandle of(Linker linker, MemorySegment symbol, FunctionDescriptor descriptor,
                           Linker.Option... options) {
        MethodType type = downcallType(descriptor, options);
        MutableCallSite site = new MutableCallSite(type);
        LazyDowncall lazy = new LazyDowncall(site, linker, symbol, descriptor, options);
        // Until linked: fetch the linked handle (linking it), then invoke it with the call's arguments.
        site.setTarget(MethodHandles.foldArguments(MethodHandles.exactInvoker(type), LINK.bindTo(lazy)));
        return site.dynamicInvoker();
    }

    /**
     * The type {@link Linker#downcallHandle(MemorySegment, FunctionDescriptor, Linker.Option...)}
     * gives: the descriptor's, with a leading MemorySegment for captured call state and, before
     * it, a SegmentAllocator when the function returns a struct (as Linker's documentation says).
     */
    static MethodType downcallType(FunctionDescriptor descriptor, Linker.Option... options) {
        MethodType type = descriptor.toMethodType();
        boolean capturesState = Arrays.stream(options).anyMatch(o -> o.getClass() == Downcalls.CAPTURE_ERRNO.getClass());
        if (capturesState) {
            type = type.insertParameterTypes(0, MemorySegment.class);
        }
        if (descriptor.returnLayout().filter(GroupLayout.class::isInstance).isPresent()) {
            type = type.insertParameterTypes(0, SegmentAllocator.class);
        }
        return type;
    }

    @SuppressWarnings("unused") // reached through LINK
    private MethodHandle link() {
        MethodHandle handle = linked;
        if (handle == null) {
            synchronized (this) {
                handle = linked;
                if (handle == null) {
                    handle = linker.downcallHandle(symbol, descriptor, options);
                    if (!handle.type().equals(site.type())) {
                        throw new IllegalStateException("the linker's downcall type " + handle.type()
                                + " is not the expected " + site.type());
                    }
                    site.setTarget(handle);
                    linked = handle;
                }
            }
        }
        return handle;
    }
}
