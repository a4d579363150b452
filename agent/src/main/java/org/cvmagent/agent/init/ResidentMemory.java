package org.cvmagent.agent.init;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

/**
 * The agent's resident set size from {@code /proc/self/status} (VmRSS), logged when it starts
 * serving and when it stops, so the guest's footprint shows on the console without an RPC; with
 * its split into anonymous memory (heap, metaspace, code, stacks, malloc) and mapped files (the
 * JVM's libraries and the AOT cache), which call for different remedies.
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
        return field(Files.readAllLines(status), "VmRSS");
    }

    /**
     * {@code rss N KiB (anon A, file F, shmem S KiB)}, the parts left out where the kernel does not
     * report them; {@code rss unknown} without VmRSS.
     */
    public String summary() throws IOException {
        List<String> lines = Files.readAllLines(status);
        OptionalLong rss = field(lines, "VmRSS");
        if (rss.isEmpty()) {
            return "rss unknown";
        }
        OptionalLong anon = field(lines, "RssAnon");
        OptionalLong file = field(lines, "RssFile");
        OptionalLong shmem = field(lines, "RssShmem");
        if (anon.isEmpty() || file.isEmpty() || shmem.isEmpty()) {
            return "rss " + rss.getAsLong() + " KiB";
        }
        return "rss " + rss.getAsLong() + " KiB (anon " + anon.getAsLong() + ", file " + file.getAsLong()
                + ", shmem " + shmem.getAsLong() + " KiB)";
    }

    private static OptionalLong field(List<String> lines, String name) {
        String prefix = name + ":";
        for (String line : lines) {
            if (line.startsWith(prefix)) {
                String value = line.substring(prefix.length()).trim();
                int space = value.indexOf(' ');
                return OptionalLong.of(Long.parseLong(space < 0 ? value : value.substring(0, space)));
            }
        }
        return OptionalLong.empty();
    }
}
