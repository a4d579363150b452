package org.cvmagent.agent.cgroup;

import org.cvmagent.proto.agent.BlkioStats;
import org.cvmagent.proto.agent.CgroupStats;
import org.cvmagent.proto.agent.CpuStats;
import org.cvmagent.proto.agent.HugetlbStats;
import org.cvmagent.proto.agent.MemoryData;
import org.cvmagent.proto.agent.MemoryStats;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@link CgroupStats} from a cgroup v2 directory, field by field as kata's rustjail fills it
 * through cgroups-rs: a section is present when its controller is available in the cgroup
 * ({@code cgroup.controllers}), {@code cpu_stats} always is. (kata consults the root's
 * cgroup.controllers; the cgroup's own list is the one that says whether its files exist, and
 * the two agree when every controller is enabled down the tree, as in the guest.)
 *
 * <p>What v2 lacks is reported as kata reports it: no per-CPU usage, {@code failcnt} 0,
 * {@code use_hierarchy} false, {@code cache} 0 (v2's memory.stat calls it {@code file}), the
 * memory limit {@code max} as u64 max but the swap limit {@code max} as 0, no kernel memory
 * files (so a kernel limit of u64 max), the peak from {@code memory.peak} (Linux ≥ 5.19) else 0.
 *
 * <p>Deviations from kata, where its cgroups-rs misreads the file and reports 0: the
 * throttled time comes from {@code throttled_usec} (converted to ns, like the usage fields), and
 * {@code io.stat} values are read (see {@link BlkioEntries#ioStat}).
 */
final class V2StatsReader {

    private final HugePageSizes hugePageSizes;

    V2StatsReader(HugePageSizes hugePageSizes) {
        this.hugePageSizes = hugePageSizes;
    }

    CgroupStats read(Path dir) throws IOException {
        Set<String> controllers = Set.of(CgroupFile.read(dir, "cgroup.controllers").orElse("").split("\\s+"));
        CgroupStats.Builder stats = CgroupStats.newBuilder();
        CpuStats.Builder cpu = CpuStats.newBuilder();
        if (controllers.contains("cpu")) {
            cpu.setCpuUsage(SharedStats.cpuUsage(dir));
            cpu.setThrottlingData(SharedStats.throttling(dir));
        }
        stats.setCpuStats(cpu);
        if (controllers.contains("memory")) {
            stats.setMemoryStats(memory(dir));
        }
        if (controllers.contains("pids")) {
            stats.setPidsStats(SharedStats.pids(dir));
        }
        if (controllers.contains("io")) {
            stats.setBlkioStats(BlkioStats.newBuilder()
                    .addAllIoServiceBytesRecursive(BlkioEntries.ioStat(CgroupFile.read(dir, "io.stat").orElse(""))));
        }
        if (controllers.contains("hugetlb")) {
            for (String size : hugePageSizes.list()) {
                String prefix = "hugetlb." + size + ".";
                stats.putHugetlbStats(size, HugetlbStats.newBuilder()
                        .setUsage(CgroupFile.u64(dir, prefix + "current", 0))
                        .setMaxUsage(CgroupFile.u64(dir, prefix + "max_usage_in_bytes", 0))
                        .setFailcnt(firstValue(CgroupFile.read(dir, prefix + "events").orElse("")))
                        .build());
            }
        }
        return stats.build();
    }

    private static MemoryStats memory(Path dir) throws IOException {
        Map<String, Long> stat = CgroupFile.flatKeyed(dir, "memory.stat");
        MemoryData usage = MemoryData.newBuilder()
                .setUsage(CgroupFile.u64(dir, "memory.current", 0))
                .setMaxUsage(CgroupFile.u64(dir, "memory.peak", 0))
                .setLimit(CgroupFile.maxValue(dir, "memory.max", -1, -1))
                .build();
        MemoryData swap = MemoryData.newBuilder()
                .setUsage(CgroupFile.u64(dir, "memory.swap.current", 0))
                .setMaxUsage(CgroupFile.u64(dir, "memory.swap.peak", 0))
                .setFailcnt(CgroupFile.flatKeyed(dir, "memory.swap.events").getOrDefault("fail", 0L))
                .setLimit(CgroupFile.i64(dir, "memory.swap.max", 0))
                .build();
        return MemoryStats.newBuilder()
                .setCache(stat.getOrDefault("cache", 0L))
                .setUsage(usage)
                .setSwapUsage(swap)
                .setKernelUsage(SharedStats.kernelMemory(dir))
                .setUseHierarchy(false)
                .putAllStats(stat)
                .build();
    }

    /** hugetlb.&lt;size&gt;.events: kata takes the value of its first line ({@code max N}). */
    private static long firstValue(String text) {
        List<String> lines = List.of(text.split("\n"));
        for (String line : lines) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length == 2) {
                return CgroupFile.parseU64(fields[1], 0);
            }
        }
        return 0;
    }
}
