package org.cvmagent.transport;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DowncallTest {

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();

    @Test
    void bindingLinksNothingAndTheFirstCallLinksOnce() throws Throwable {
        Downcall getpid = Downcalls.bind(LINKER, LIBC, "getpid", FunctionDescriptor.of(ValueLayout.JAVA_INT));
        assertFalse(getpid.isLinked(), "bound, not linked");
        int pid = (int) ProcessHandle.current().pid();
        assertEquals(pid, (int) getpid.handle().invokeExact());
        assertTrue(getpid.isLinked());
        assertSame(getpid.handle(), getpid.handle());
        assertEquals(pid, (int) getpid.handle().invokeExact());
    }

    @Test
    void capturedErrnoReachesTheCaller() throws Throwable {
        Downcall close = Downcalls.bind(LINKER, LIBC, "close",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), Downcalls.CAPTURE_ERRNO);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Downcalls.CALL_STATE);
            int result = (int) close.handle().invokeExact(state, -1);
            assertEquals(-9, Downcalls.result(result, state), "close(-1) is EBADF");
        }
    }

    @Test
    void aMissingSymbolFailsWhenBound() {
        assertThrows(UnsatisfiedLinkError.class, () -> Downcalls.bind(LINKER, LIBC, "no_such_function_in_libc",
                FunctionDescriptor.ofVoid()));
    }
}
