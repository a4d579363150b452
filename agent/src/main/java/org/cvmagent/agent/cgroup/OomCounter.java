package org.cvmagent.agent.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The OOM-kill counter of one memory cgroup: the {@code oom_kill} line of {@code memory.events}
 * (v2; counts kills in the cgroup and its descendants) or of {@code memory.oom_control} (v1,
 * Linux ≥ 4.13). A kernel without the line reads as 0, so it never reports a kill.
 *
 * @param file the file holding the {@code oom_kill} line
 */
record OomCounter(Path file) {

    /** The counter of the memory cgroup of a process: v1's memory controller when mounted, else its v2 cgroup. */
    static OomCounter of(CgroupPaths paths) throws IOException {
        if (paths.controller("memory").isPresent()) {
            return new OomCounter(paths.controller("memory").get().resolve("memory.oom_control"));
        }
        if (paths.isV1() || paths.unified().isEmpty()) {
            throw new IOException("the process has no memory cgroup");
        }
        return new OomCounter(paths.unified().get().resolve("memory.events"));
    }

    /** @throws java.nio.file.NoSuchFileException when the cgroup is gone */
    long read() throws IOException {
        return CgroupFile.parseFlatKeyed(Files.readString(file)).getOrDefault("oom_kill", 0L);
    }
}
