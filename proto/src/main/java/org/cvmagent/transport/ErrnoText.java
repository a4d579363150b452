package org.cvmagent.transport;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/** Failed native calls as IOExceptions with the C library's words for the errno. */
public final class ErrnoText {

    private final Downcall strerror;

    public ErrnoText(Linker linker, SymbolLookup lookup) {
        this.strerror = Downcalls.bind(linker, lookup, "strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    }

    /** The C library's description of an errno, e.g. "Connection refused". */
    public String strerror(int errno) {
        try {
            MemorySegment text = (MemorySegment) strerror.handle().invokeExact(errno);
            // strerror returns a NUL-terminated string of unknown length; 1 KiB bounds the scan.
            return text.equals(MemorySegment.NULL) ? "errno " + errno : text.reinterpret(1024).getString(0);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    /** An IOException for a call that failed with {@code -errno}: {@code "<what>: <strerror> (errno N)"}. */
    public IOException failure(String what, int negativeErrno) {
        int errno = -negativeErrno;
        return new IOException(what + ": " + strerror(errno) + " (errno " + errno + ")");
    }
}
