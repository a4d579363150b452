package org.cvmagent.agent.init;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The agent's resident set size from {@code /proc/self/status} (VmRSS), logged when it starts
 * serving and when it stops, so the guest's footprint shows on the console without an RPC.
 */
public final class ResidentMemory {

    private final Path status;

    public ResidentMemory(Path status) {
        this.status = status;
    }

    public static ResidentMemory self() {
        return new ResidentMemory(Path.of("/proc/self/status"));
    }

    /** VmRSS in KiB; empty when the file has no such line (not Linux, or a kernel thread). */
    public OptionalLong kib() throws IOException {
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("VmRSS:")) {
                String value = line.substring("VmRSS:".length()).trim();
                int space = value.indexOf(' ');
                return OptionalLong.of(Long.parseLong(space < 0 ? value : value.substring(0, space)));
            }
        }
        return OptionalLong.empty();
    }
}
