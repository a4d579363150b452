package org.cvmagent.agent.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Whether a process catches a signal, from the {@code SigCgt} mask in {@code /proc/<pid>/status}.
 * A container's init is PID 1 of its namespace, where the kernel drops signals it does not catch;
 * kata therefore turns a SIGTERM for an init that does not catch it into SIGKILL, and so do we.
 */
final class SignalDisposition {

    static final int SIGKILL = 9;
    static final int SIGTERM = 15;

    private final Path proc;

    SignalDisposition(Path proc) {
        this.proc = proc;
    }

    boolean catches(long pid, int signal) throws IOException {
        if (signal < 1 || signal > 64) {
            return false;
        }
        String status;
        try {
            status = Files.readString(proc.resolve(Long.toString(pid)).resolve("status"));
        } catch (NoSuchFileException e) {
            return false;
        }
        for (String line : status.split("\n")) {
            if (line.startsWith("SigCgt:")) {
                long mask = Long.parseUnsignedLong(line.substring("SigCgt:".length()).trim(), 16);
                return (mask & (1L << (signal - 1))) != 0;
            }
        }
        return false;
    }

    /** The signal to really send to a process: SIGKILL for an init that would ignore SIGTERM. */
    int effective(long pid, boolean init, int signal) throws IOException {
        if (init && signal == SIGTERM && !catches(pid, SIGTERM)) {
            return SIGKILL;
        }
        return signal;
    }
}
