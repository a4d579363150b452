package org.cvmagent.transport;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LazyDowncallTest {

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();

    /** The lazy handle must have exactly the linker's type, or every invokeExact caller would break. */
    @Test
    void aLazyHandleHasTheLinkersTypeWithAndWithoutCapturedStateAndForStructReturns() {
        FunctionDescriptor plain = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);
        FunctionDescriptor struct = FunctionDescriptor.of(MemoryLayout.structLayout(ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_LONG), ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG);
        MemorySegment close = LIBC.find("close").orElseThrow();
        MemorySegment ldiv = LIBC.find("ldiv").orElseThrow();
        assertEquals(LINKER.downcallHandle(close, plain).type(), LazyDowncall.downcallType(plain));
        assertEquals(LINKER.downcallHandle(close, plain, Downcalls.CAPTURE_ERRNO).type(),
                LazyDowncall.downcallType(plain, Downcalls.CAPTURE_ERRNO));
        assertEquals(LINKER.downcallHandle(ldiv, struct).type(), LazyDowncall.downcallType(struct));
        assertEquals(LINKER.downcallHandle(ldiv, struct, Downcalls.CAPTURE_ERRNO).type(),
                LazyDowncall.downcallType(struct, Downcalls.CAPTURE_ERRNO));
    }

    @Test
    void theFirstCallLinksAndLaterCallsUseTheLinkedHandle() throws Throwable {
        MethodHandle getpid = Downcalls.bind(LINKER, LIBC, "getpid", FunctionDescriptor.of(ValueLayout.JAVA_INT));
        int pid = (int) ProcessHandle.current().pid();
        assertEquals(pid, (int) getpid.invokeExact());
        assertEquals(pid, (int) getpid.invokeExact());
    }

    @Test
    void capturedErrnoStillReachesTheCaller() throws Throwable {
        MethodHandle close = Downcalls.bind(LINKER, LIBC, "close",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), Downcalls.CAPTURE_ERRNO);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Downcalls.CALL_STATE);
            int result = (int) close.invokeExact(state, -1);
            assertEquals(-9, Downcalls.result(result, state), "close(-1) is EBADF");
        }
    }

    @Test
    void aMissingSymbolStillFailsWhenBound() {
        assertThrows(UnsatisfiedLinkError.class, () -> Downcalls.bind(LINKER, LIBC, "no_such_function_in_libc",
                FunctionDescriptor.ofVoid()));
    }
}
