package org.cvmagent.transport;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * A C function bound by name whose downcall handle is linked on first use.
 *
 * <p>Why: linking ({@link Linker#downcallHandle}) generates a stub class and a dozen LambdaForms
 * per signature at run time, which no AOT cache of JDK 25 keeps, and even a placeholder handle of
 * the right type spins several LambdaForms per signature. The agent binds ~80 libc functions in its
 * binding classes' constructors before it serves, most of them for later (posix_spawn and its file
 * actions, mount calls, image unpacking); as plain objects they cost nothing until called: only
 * the calls the start really makes are linked then (natively a third of the agent's start, seconds
 * in a TCG guest).
 */
public final class Downcall {
    private final Linker linker;
    private final MemorySegment symbol;
    private final FunctionDescriptor descriptor;
    private final Linker.Option[] options;
    private volatile MethodHandle linked;

    Downcall(Linker linker, MemorySegment symbol, FunctionDescriptor descriptor, Linker.Option... options) {
        this.linker = linker;
        this.symbol = symbol;
        this.descriptor = descriptor;
        this.options = options.clone();
    }

    /** The linker's handle, linked at the first call: use it with {@code invokeExact}. */
    public MethodHandle handle() {
        MethodHandle handle = linked;
        if (handle == null) {
            synchronized (this) {
                handle = linked;
                if (handle == null) {
                    handle = linker.downcallHandle(symbol, descriptor, options);
                    linked = handle;
                }
            }
        }
        return handle;
    }

    /** Whether a call has linked it yet (for tests of what a start-up links). */
    boolean isLinked() {
        return linked != null;
    }
}
