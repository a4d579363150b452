package org.cvmagent.agent.cgroup;

import org.cvmagent.proto.agent.BlkioStats;
import org.cvmagent.proto.agent.BlkioStatsEntry;
import org.cvmagent.proto.agent.CgroupStats;
import org.cvmagent.proto.agent.CpuStats;
import org.cvmagent.proto.agent.CpuUsage;
import org.cvmagent.proto.agent.HugetlbStats;
import org.cvmagent.proto.agent.MemoryData;
import org.cvmagent.proto.agent.MemoryStats;
import org.cvmagent.proto.agent.PidsStats;
import org.cvmagent.proto.agent.ThrottlingData;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Golden tests: fake cgroup v1 files in the kernel's formats (as on this host) → kata's CgroupStats. */
class CgroupStatsReaderV1Test {

    private static final long U64_MAX = -1L;
    private static final long UNLIMITED = 9223372036854771712L;

    @TempDir
    Path tmp;
    private FakeTree tree;
    private CgroupStatsReader reader;

    @BeforeEach
    void setUp() {
        tree = new FakeTree(tmp);
        tree.write("hugepages/hugepages-2048kB/nr_hugepages", "0\n");
        tree.write("hugepages/hugepages-1048576kB/nr_hugepages", "0\n");
        reader = new CgroupStatsReader(tmp.resolve("hugepages"), CgroupStatsReader.USER_HZ);
    }

    @Test
    void fullV1TreeGivesEverySection() throws Exception {
        Path cpu = tree.write("cg/cpu,cpuacct/c1/cpuacct.usage", "6226332613102\n");
        tree.write("cg/cpu,cpuacct/c1/cpuacct.usage_percpu", "3083369413773 3142966990024 \n");
        tree.write("cg/cpu,cpuacct/c1/cpuacct.stat", "user 548468\nsystem 74165\n");
        tree.write("cg/cpu,cpuacct/c1/cpu.stat",
                "nr_periods 40\nnr_throttled 3\nthrottled_time 123456789\nnr_bursts 0\nburst_time 0\n");
        Path memory = tree.write("cg/memory/c1/memory.usage_in_bytes", "177528832\n");
        tree.write("cg/memory/c1/memory.max_usage_in_bytes", "200000000\n");
        tree.write("cg/memory/c1/memory.failcnt", "7\n");
        tree.write("cg/memory/c1/memory.limit_in_bytes", "33554432\n");
        tree.write("cg/memory/c1/memory.memsw.usage_in_bytes", "178118656\n");
        tree.write("cg/memory/c1/memory.memsw.max_usage_in_bytes", "210000000\n");
        tree.write("cg/memory/c1/memory.memsw.failcnt", "1\n");
        tree.write("cg/memory/c1/memory.memsw.limit_in_bytes", UNLIMITED + "\n");
        tree.write("cg/memory/c1/memory.kmem.usage_in_bytes", "4096000\n");
        tree.write("cg/memory/c1/memory.kmem.max_usage_in_bytes", "5000000\n");
        tree.write("cg/memory/c1/memory.kmem.failcnt", "0\n");
        tree.write("cg/memory/c1/memory.kmem.limit_in_bytes", UNLIMITED + "\n");
        tree.write("cg/memory/c1/memory.use_hierarchy", "1\n");
        tree.write("cg/memory/c1/memory.stat", """
                cache 169738240
                rss 1859584
                rss_huge 0
                hierarchical_memory_limit 9223372036854771712
                total_cache 169738240
                total_rss 1859584
                """);
        Path pids = tree.write("cg/pids/c1/pids.current", "3\n");
        tree.write("cg/pids/c1/pids.max", "1024\n");
        Path blkio = tree.write("cg/blkio/c1/blkio.io_serviced_recursive", """
                8:0 Read 124
                8:0 Write 104
                8:0 Sync 104
                8:0 Async 124
                8:0 Discard 0
                8:0 Total 228
                8:16 Read 5
                8:16 Total 5
                Total 233
                """);
        tree.write("cg/blkio/c1/blkio.io_service_bytes_recursive", """
                8:0 Read 1282048
                8:0 Write 2195456
                8:0 Sync 2195456
                8:0 Async 1282048
                8:0 Total 3477504
                Total 3477504
                """);
        tree.write("cg/blkio/c1/blkio.io_queued_recursive", "8:0 Read 0\n8:0 Write 0\n8:0 Sync 0\n8:0 Async 0\n8:0 Total 0\nTotal 0\n");
        tree.write("cg/blkio/c1/blkio.sectors_recursive", "8:0 6792\n8:16 10\n");
        tree.write("cg/blkio/c1/blkio.time_recursive", "8:0 1500\n");
        // Present but not read when the CFQ files have data.
        tree.write("cg/blkio/c1/blkio.throttle.io_service_bytes", "8:0 Read 9\n8:0 Total 9\nTotal 9\n");
        Path hugetlb = tree.write("cg/hugetlb/c1/hugetlb.2MB.usage_in_bytes", "4194304\n");
        tree.write("cg/hugetlb/c1/hugetlb.2MB.max_usage_in_bytes", "6291456\n");
        tree.write("cg/hugetlb/c1/hugetlb.2MB.failcnt", "2\n");
        CgroupPaths paths = new CgroupPaths(Optional.of(tmp.resolve("cg/unified/c1")), Map.of(
                "cpu", cpu, "cpuacct", cpu, "memory", memory, "pids", pids, "blkio", blkio, "hugetlb", hugetlb));

        CgroupStats stats = reader.read(paths);

        CgroupStats expected = CgroupStats.newBuilder()
                .setCpuStats(CpuStats.newBuilder()
                        .setCpuUsage(CpuUsage.newBuilder()
                                .setTotalUsage(6226332613102L)
                                .addAllPercpuUsage(List.of(3083369413773L, 3142966990024L))
                                // ticks of 1/100 s → ns
                                .setUsageInUsermode(5484680000000L)
                                .setUsageInKernelmode(741650000000L))
                        .setThrottlingData(ThrottlingData.newBuilder()
                                .setPeriods(40).setThrottledPeriods(3).setThrottledTime(123456789)))
                .setMemoryStats(MemoryStats.newBuilder()
                        .setCache(169738240)
                        .setUsage(memoryData(177528832, 200000000, 7, 33554432))
                        .setSwapUsage(memoryData(178118656, 210000000, 1, UNLIMITED))
                        .setKernelUsage(memoryData(4096000, 5000000, 0, UNLIMITED))
                        .setUseHierarchy(true)
                        .putAllStats(Map.of("cache", 169738240L, "rss", 1859584L, "rss_huge", 0L,
                                "hierarchical_memory_limit", UNLIMITED, "total_cache", 169738240L,
                                "total_rss", 1859584L)))
                .setPidsStats(PidsStats.newBuilder().setCurrent(3).setLimit(1024))
                .setBlkioStats(BlkioStats.newBuilder()
                        .addAllIoServiceBytesRecursive(ops(8, 0, 1282048, 2195456, 2195456, 1282048, 3477504))
                        .addAllIoServicedRecursive(ops(8, 0, 124, 104, 104, 124, 228))
                        .addAllIoServicedRecursive(ops(8, 16, 5, 0, 0, 0, 5))
                        .addAllIoQueuedRecursive(ops(8, 0, 0, 0, 0, 0, 0))
                        .addIoTimeRecursive(entry(8, 0, "", 1500))
                        .addSectorsRecursive(entry(8, 0, "", 6792))
                        .addSectorsRecursive(entry(8, 16, "", 10)))
                .putHugetlbStats("2MB", HugetlbStats.newBuilder().setUsage(4194304).setMaxUsage(6291456).setFailcnt(2).build())
                .putHugetlbStats("1GB", HugetlbStats.getDefaultInstance())
                .build();
        assertEquals(expected, stats);
    }

    @Test
    void blkMqKernelWithoutCfqFilesFallsBackToTheThrottleFiles() throws Exception {
        Path blkio = tree.write("cg/blkio/c1/blkio.throttle.io_service_bytes", """
                253:0 Read 40960
                253:0 Write 8192
                253:0 Sync 8192
                253:0 Async 40960
                253:0 Discard 0
                253:0 Total 49152
                Total 49152
                """);
        tree.write("cg/blkio/c1/blkio.throttle.io_serviced", "253:0 Read 10\n253:0 Write 2\n253:0 Total 12\nTotal 12\n");

        CgroupStats stats = reader.read(new CgroupPaths(Optional.empty(), Map.of("blkio", blkio)));

        assertEquals(BlkioStats.newBuilder()
                .addAllIoServiceBytesRecursive(ops(253, 0, 40960, 8192, 8192, 40960, 49152))
                .addAllIoServicedRecursive(ops(253, 0, 10, 2, 0, 0, 12))
                .build(), stats.getBlkioStats());
    }

    @Test
    void missingControllersAndFilesAreToleratedAsKataDoes() throws Exception {
        // No swap accounting, no kmem files, no max usage; pids.max "max"; only memory and pids mounted.
        Path memory = tree.write("cg/memory/c1/memory.usage_in_bytes", "1000\n");
        tree.write("cg/memory/c1/memory.limit_in_bytes", UNLIMITED + "\n");
        Path pids = tree.write("cg/pids/c1/pids.current", "1\n");
        tree.write("cg/pids/c1/pids.max", "max\n");

        CgroupStats stats = reader.read(new CgroupPaths(Optional.empty(), Map.of("memory", memory, "pids", pids)));

        assertEquals(CgroupStats.newBuilder()
                .setCpuStats(CpuStats.getDefaultInstance())
                .setMemoryStats(MemoryStats.newBuilder()
                        .setUsage(memoryData(1000, 0, 0, UNLIMITED))
                        .setSwapUsage(memoryData(0, 0, 0, 0))
                        .setKernelUsage(memoryData(0, 0, 0, U64_MAX)))
                .setPidsStats(PidsStats.newBuilder().setCurrent(1).setLimit(0))
                .build(), stats);
        assertTrue(stats.hasCpuStats());
        assertFalse(stats.getCpuStats().hasCpuUsage());
        assertFalse(stats.hasBlkioStats());
    }

    @Test
    void realCgroupsOfThisProcess() throws Exception {
        CgroupPaths paths = CgroupLocator.system().locate(ProcessHandle.current().pid());
        CgroupStats stats = CgroupStatsReader.system().read(paths);
        assertTrue(stats.hasMemoryStats());
        assertTrue(stats.getMemoryStats().getUsage().getUsage() > 0, stats::toString);
        assertTrue(stats.getCpuStats().getCpuUsage().getTotalUsage() > 0, stats::toString);
    }

    static MemoryData memoryData(long usage, long maxUsage, long failcnt, long limit) {
        return MemoryData.newBuilder().setUsage(usage).setMaxUsage(maxUsage).setFailcnt(failcnt).setLimit(limit).build();
    }

    static List<BlkioStatsEntry> ops(long major, long minor, long read, long write, long sync, long async, long total) {
        List<BlkioStatsEntry> entries = new ArrayList<>();
        entries.add(entry(major, minor, "read", read));
        entries.add(entry(major, minor, "write", write));
        entries.add(entry(major, minor, "sync", sync));
        entries.add(entry(major, minor, "async", async));
        entries.add(entry(major, minor, "total", total));
        return entries;
    }

    static BlkioStatsEntry entry(long major, long minor, String op, long value) {
        return BlkioStatsEntry.newBuilder().setMajor(major).setMinor(minor).setOp(op).setValue(value).build();
    }
}
