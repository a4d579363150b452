package org.cvmagent.agent.cgroup;

import org.cvmagent.proto.agent.CgroupStats;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Builds the {@link CgroupStats} of StatsContainer for a container's cgroups, as kata-agent
 * fills it: from the v1 controllers when any are mounted (a v1 or hybrid host), else from the
 * cgroup v2 directory (the guest).
 */
public final class CgroupStatsReader {

    /**
     * USER_HZ, the unit of cpuacct.stat. It is 100 on every architecture Linux supports for
     * userspace (sysconf(_SC_CLK_TCK) returns the kernel's fixed USER_HZ, not CONFIG_HZ).
     */
    public static final long USER_HZ = 100;

    private final V1StatsReader v1;
    private final V2StatsReader v2;

    /**
     * @param hugepagesDir normally {@code /sys/kernel/mm/hugepages}: which huge page sizes the
     *                     hugetlb section lists
     * @param clockTicks   the unit of cpuacct.stat, {@link #USER_HZ}
     */
    public CgroupStatsReader(Path hugepagesDir, long clockTicks) {
        if (clockTicks <= 0) {
            throw new IllegalArgumentException("clock ticks must be positive: " + clockTicks);
        }
        HugePageSizes sizes = new HugePageSizes(hugepagesDir);
        this.v1 = new V1StatsReader(sizes, clockTicks);
        this.v2 = new V2StatsReader(sizes);
    }

    /** The reader of this system. */
    public static CgroupStatsReader system() {
        return new CgroupStatsReader(Path.of("/sys/kernel/mm/hugepages"), USER_HZ);
    }

    /**
     * @throws IOException when a cgroup file exists but cannot be read, or when the process has
     *                     neither v1 controllers nor a v2 cgroup
     */
    public CgroupStats read(CgroupPaths paths) throws IOException {
        if (paths.isV1()) {
            return v1.read(paths);
        }
        if (paths.unified().isPresent()) {
            return v2.read(paths.unified().get());
        }
        throw new IOException("the process is in no mounted cgroup hierarchy");
    }
}
