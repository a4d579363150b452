package org.cvmagent.agent.init;

import org.cvmagent.transport.Downcall;
import org.cvmagent.transport.Downcalls;
import org.cvmagent.transport.ErrnoText;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.cvmagent.transport.Downcalls.bind;
import static org.cvmagent.transport.Downcalls.rethrow;
import static org.cvmagent.transport.Downcalls.result;

/** sync(2) and reboot(2), bound through the FFM API: what powering the guest off takes. */
// Binding native functions is restricted by design; confining it to this class is the point of it.
@SuppressWarnings("restricted")
final class PowerLibc {

    /** glibc's RB_POWER_OFF (LINUX_REBOOT_CMD_POWER_OFF): halt and remove power. */
    static final int RB_POWER_OFF = 0x4321fedc;

    private final Downcall sync;
    private final Downcall reboot;
    private final ErrnoText errors;

    private PowerLibc(Linker linker) {
        sync = bind(linker, linker.defaultLookup(), "sync", FunctionDescriptor.ofVoid());
        reboot = bind(linker, linker.defaultLookup(), "reboot", FunctionDescriptor.of(JAVA_INT, JAVA_INT),
                Downcalls.CAPTURE_ERRNO);
        errors = new ErrnoText(linker, linker.defaultLookup());
    }

    static PowerLibc load() {
        return new PowerLibc(Linker.nativeLinker());
    }

    void sync() {
        try {
            sync.handle().invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** reboot(cmd): returns only when it failed. */
    void reboot(int cmd) throws IOException {
        int r;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Downcalls.CALL_STATE);
            r = result((int) reboot.handle().invokeExact(state, cmd), state);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        throw errors.failure("reboot(RB_POWER_OFF)", r < 0 ? r : -22);
    }
}
