package org.cvmagent.agent.cgroup;

import org.cvmagent.proto.agent.CpuUsage;
import org.cvmagent.proto.agent.MemoryData;
import org.cvmagent.proto.agent.PidsStats;
import org.cvmagent.proto.agent.ThrottlingData;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** The parts of kata's stats that read the same files, or fall back the same way, in v1 and v2. */
final class SharedStats {

    private SharedStats() {
    }

    /** cpu.stat's microsecond counters, converted to the nanoseconds of {@link CpuUsage}. */
    static CpuUsage cpuUsage(Path dir) throws IOException {
        Map<String, Long> stat = CgroupFile.flatKeyed(dir, "cpu.stat");
        return CpuUsage.newBuilder()
                .setTotalUsage(stat.getOrDefault("usage_usec", 0L) * 1000)
                .setUsageInUsermode(stat.getOrDefault("user_usec", 0L) * 1000)
                .setUsageInKernelmode(stat.getOrDefault("system_usec", 0L) * 1000)
                .build();
    }

    /** Same files in v1 and v2; a limit of {@code max} (or none readable) is 0. */
    static PidsStats pids(Path dir) throws IOException {
        return PidsStats.newBuilder()
                .setCurrent(CgroupFile.u64(dir, "pids.current", 0))
                .setLimit(CgroupFile.maxValue(dir, "pids.max", 0, 0))
                .build();
    }

    /**
     * cpu.stat's CFS bandwidth counters. v1 has {@code throttled_time} in ns; v2 has
     * {@code throttled_usec}, which kata's key lookup misses (reporting 0) and we convert to ns.
     */
    static ThrottlingData throttling(Path dir) throws IOException {
        Map<String, Long> stat = CgroupFile.flatKeyed(dir, "cpu.stat");
        long throttledNanos = stat.containsKey("throttled_time")
                ? stat.get("throttled_time")
                : stat.getOrDefault("throttled_usec", 0L) * 1000;
        return ThrottlingData.newBuilder()
                .setPeriods(stat.getOrDefault("nr_periods", 0L))
                .setThrottledPeriods(stat.getOrDefault("nr_throttled", 0L))
                .setThrottledTime(throttledNanos)
                .build();
    }

    /**
     * Kernel memory: like the others, except that a missing limit is -1 (u64 max on the wire), as
     * kata's cgroups-rs defaults it; it is read on v2 too, where none of these files exist.
     */
    static MemoryData kernelMemory(Path dir) throws IOException {
        return MemoryData.newBuilder()
                .setUsage(CgroupFile.u64(dir, "memory.kmem.usage_in_bytes", 0))
                .setMaxUsage(CgroupFile.u64(dir, "memory.kmem.max_usage_in_bytes", 0))
                .setFailcnt(CgroupFile.u64(dir, "memory.kmem.failcnt", 0))
                .setLimit(CgroupFile.i64(dir, "memory.kmem.limit_in_bytes", -1))
                .build();
    }
}
