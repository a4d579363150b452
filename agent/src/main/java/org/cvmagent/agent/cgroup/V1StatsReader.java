package org.cvmagent.agent.cgroup;

import org.cvmagent.proto.agent.BlkioStats;
import org.cvmagent.proto.agent.BlkioStatsEntry;
import org.cvmagent.proto.agent.CgroupStats;
import org.cvmagent.proto.agent.CpuStats;
import org.cvmagent.proto.agent.CpuUsage;
import org.cvmagent.proto.agent.HugetlbStats;
import org.cvmagent.proto.agent.MemoryData;
import org.cvmagent.proto.agent.MemoryStats;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@link CgroupStats} from cgroup v1 controllers, field by field as kata's rustjail
 * {@code get_stats} fills it: a section is present when its controller is mounted for the
 * process ({@code cpu_stats} always is), values missing from the kernel are 0.
 */
final class V1StatsReader {

    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final HugePageSizes hugePageSizes;
    private final long clockTicks;

    V1StatsReader(HugePageSizes hugePageSizes, long clockTicks) {
        this.hugePageSizes = hugePageSizes;
        this.clockTicks = clockTicks;
    }

    CgroupStats read(CgroupPaths paths) throws IOException {
        CgroupStats.Builder stats = CgroupStats.newBuilder();
        CpuStats.Builder cpu = CpuStats.newBuilder();
        Optional<Path> cpuacct = paths.controller("cpuacct");
        Optional<Path> cpuDir = paths.controller("cpu");
        if (cpuacct.isPresent()) {
            cpu.setCpuUsage(cpuacctUsage(cpuacct.get()));
        } else if (cpuDir.isPresent()) {
            // kata falls back to the v2-style keys of cpu.stat, which a v1 kernel does not have.
            cpu.setCpuUsage(SharedStats.cpuUsage(cpuDir.get()));
        }
        if (cpuDir.isPresent()) {
            cpu.setThrottlingData(SharedStats.throttling(cpuDir.get()));
        }
        stats.setCpuStats(cpu);
        Optional<Path> memory = paths.controller("memory");
        if (memory.isPresent()) {
            stats.setMemoryStats(memory(memory.get()));
        }
        Optional<Path> pids = paths.controller("pids");
        if (pids.isPresent()) {
            stats.setPidsStats(SharedStats.pids(pids.get()));
        }
        Optional<Path> blkio = paths.controller("blkio");
        if (blkio.isPresent()) {
            stats.setBlkioStats(blkio(blkio.get()));
        }
        Optional<Path> hugetlb = paths.controller("hugetlb");
        if (hugetlb.isPresent()) {
            for (String size : hugePageSizes.list()) {
                Path dir = hugetlb.get();
                String prefix = "hugetlb." + size + ".";
                stats.putHugetlbStats(size, HugetlbStats.newBuilder()
                        .setUsage(CgroupFile.u64(dir, prefix + "usage_in_bytes", 0))
                        .setMaxUsage(CgroupFile.u64(dir, prefix + "max_usage_in_bytes", 0))
                        .setFailcnt(CgroupFile.u64(dir, prefix + "failcnt", 0))
                        .build());
            }
        }
        return stats.build();
    }

    private CpuUsage cpuacctUsage(Path dir) throws IOException {
        Map<String, Long> ticks = CgroupFile.flatKeyed(dir, "cpuacct.stat");
        CpuUsage.Builder usage = CpuUsage.newBuilder()
                .setTotalUsage(CgroupFile.u64(dir, "cpuacct.usage", 0))
                .setUsageInUsermode(ticksToNanos(ticks.getOrDefault("user", 0L)))
                .setUsageInKernelmode(ticksToNanos(ticks.getOrDefault("system", 0L)));
        for (String field : CgroupFile.read(dir, "cpuacct.usage_percpu").orElse("").split("\\s+")) {
            if (!field.isEmpty()) {
                try {
                    usage.addPercpuUsage(Long.parseUnsignedLong(field));
                } catch (NumberFormatException e) {
                    // kata keeps only the fields that parse (filter_map); so do we.
                    continue;
                }
            }
        }
        return usage.build();
    }

    /** cpuacct.stat counts USER_HZ ticks; kata converts to ns as ticks * 1e9 / CLK_TCK in floating point. */
    private long ticksToNanos(long ticks) {
        double nanos = ticks * NANOS_PER_SECOND;
        return (long) (nanos / clockTicks);
    }

    private static MemoryStats memory(Path dir) throws IOException {
        Map<String, Long> stat = CgroupFile.flatKeyed(dir, "memory.stat");
        return MemoryStats.newBuilder()
                .setCache(stat.getOrDefault("cache", 0L))
                .setUsage(memoryData(dir, "memory."))
                .setSwapUsage(memoryData(dir, "memory.memsw."))
                .setKernelUsage(SharedStats.kernelMemory(dir))
                .setUseHierarchy(CgroupFile.u64(dir, "memory.use_hierarchy", 0) == 1)
                .putAllStats(stat)
                .build();
    }

    private static MemoryData memoryData(Path dir, String prefix) throws IOException {
        return MemoryData.newBuilder()
                .setUsage(CgroupFile.u64(dir, prefix + "usage_in_bytes", 0))
                .setMaxUsage(CgroupFile.u64(dir, prefix + "max_usage_in_bytes", 0))
                .setFailcnt(CgroupFile.u64(dir, prefix + "failcnt", 0))
                .setLimit(CgroupFile.i64(dir, prefix + "limit_in_bytes", 0))
                .build();
    }

    /**
     * The CFQ {@code *_recursive} files when the kernel has them (a non-empty
     * {@code io_serviced_recursive}); otherwise only the throttle files, which every blk-mq
     * kernel has, as kata (following runc) does.
     */
    private static BlkioStats blkio(Path dir) throws IOException {
        BlkioStats.Builder blkio = BlkioStats.newBuilder();
        List<BlkioStatsEntry> serviced = perOperation(dir, "blkio.io_serviced_recursive");
        if (serviced.isEmpty()) {
            blkio.addAllIoServiceBytesRecursive(perOperation(dir, "blkio.throttle.io_service_bytes"));
            blkio.addAllIoServicedRecursive(perOperation(dir, "blkio.throttle.io_serviced"));
            return blkio.build();
        }
        return blkio
                .addAllIoServiceBytesRecursive(perOperation(dir, "blkio.io_service_bytes_recursive"))
                .addAllIoServicedRecursive(serviced)
                .addAllIoQueuedRecursive(perOperation(dir, "blkio.io_queued_recursive"))
                .addAllIoServiceTimeRecursive(perOperation(dir, "blkio.io_service_time_recursive"))
                .addAllIoWaitTimeRecursive(perOperation(dir, "blkio.io_wait_time_recursive"))
                .addAllIoMergedRecursive(perOperation(dir, "blkio.io_merged_recursive"))
                .addAllIoTimeRecursive(BlkioEntries.perDevice(CgroupFile.read(dir, "blkio.time_recursive").orElse("")))
                .addAllSectorsRecursive(BlkioEntries.perDevice(CgroupFile.read(dir, "blkio.sectors_recursive").orElse("")))
                .build();
    }

    private static List<BlkioStatsEntry> perOperation(Path dir, String name) throws IOException {
        return BlkioEntries.perOperation(CgroupFile.read(dir, name).orElse(""));
    }
}
