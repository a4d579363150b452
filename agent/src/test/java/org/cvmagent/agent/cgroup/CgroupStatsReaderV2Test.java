package org.cvmagent.agent.cgroup;

import org.cvmagent.proto.agent.BlkioStats;
import org.cvmagent.proto.agent.CgroupStats;
import org.cvmagent.proto.agent.CpuStats;
import org.cvmagent.proto.agent.CpuUsage;
import org.cvmagent.proto.agent.HugetlbStats;
import org.cvmagent.proto.agent.MemoryStats;
import org.cvmagent.proto.agent.PidsStats;
import org.cvmagent.proto.agent.ThrottlingData;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import static org.cvmagent.agent.cgroup.CgroupStatsReaderV1Test.entry;
import static org.cvmagent.agent.cgroup.CgroupStatsReaderV1Test.memoryData;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Golden tests: fake cgroup v2 files in the kernel's formats → kata's CgroupStats. */
class CgroupStatsReaderV2Test {

    private static final long U64_MAX = -1L;

    @TempDir
    Path tmp;
    private FakeTree tree;
    private CgroupStatsReader reader;

    @BeforeEach
    void setUp() {
        tree = new FakeTree(tmp);
        tree.write("hugepages/hugepages-2048kB/nr_hugepages", "0\n");
        reader = new CgroupStatsReader(tmp.resolve("hugepages"), CgroupStatsReader.USER_HZ);
    }

    @Test
    void fullV2CgroupGivesEverySection() throws Exception {
        Path dir = tree.write("cg/kata/c1/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
        tree.write("cg/kata/c1/cpu.stat", """
                usage_usec 2500123
                user_usec 2000100
                system_usec 500023
                core_sched.force_idle_usec 0
                nr_periods 12
                nr_throttled 2
                throttled_usec 3456
                nr_bursts 0
                burst_usec 0
                """);
        tree.write("cg/kata/c1/memory.current", "52428800\n");
        tree.write("cg/kata/c1/memory.peak", "60000000\n");
        tree.write("cg/kata/c1/memory.max", "134217728\n");
        tree.write("cg/kata/c1/memory.stat", """
                anon 40960000
                file 10485760
                kernel 1048576
                pgfault 1234
                """);
        tree.write("cg/kata/c1/memory.swap.current", "4096\n");
        tree.write("cg/kata/c1/memory.swap.peak", "8192\n");
        tree.write("cg/kata/c1/memory.swap.max", "max\n");
        tree.write("cg/kata/c1/memory.swap.events", "high 0\nmax 0\nfail 3\n");
        tree.write("cg/kata/c1/pids.current", "4\n");
        tree.write("cg/kata/c1/pids.max", "max\n");
        tree.write("cg/kata/c1/io.stat", """
                254:0 rbytes=180224 wbytes=4096 rios=3 wios=1 dbytes=0 dios=0
                259:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=5 dios=6 cost.vrate=100.00 cost.usage=0
                """);
        tree.write("cg/kata/c1/hugetlb.2MB.current", "2097152\n");
        tree.write("cg/kata/c1/hugetlb.2MB.events", "max 5\n");

        CgroupStats stats = reader.read(new CgroupPaths(Optional.of(dir), Map.of()));

        CgroupStats expected = CgroupStats.newBuilder()
                .setCpuStats(CpuStats.newBuilder()
                        .setCpuUsage(CpuUsage.newBuilder()
                                .setTotalUsage(2500123000L).setUsageInUsermode(2000100000L).setUsageInKernelmode(500023000L))
                        .setThrottlingData(ThrottlingData.newBuilder()
                                .setPeriods(12).setThrottledPeriods(2).setThrottledTime(3456000)))
                .setMemoryStats(MemoryStats.newBuilder()
                        .setCache(0)
                        .setUsage(memoryData(52428800, 60000000, 0, 134217728))
                        .setSwapUsage(memoryData(4096, 8192, 3, 0))
                        .setKernelUsage(memoryData(0, 0, 0, U64_MAX))
                        .setUseHierarchy(false)
                        .putAllStats(Map.of("anon", 40960000L, "file", 10485760L, "kernel", 1048576L, "pgfault", 1234L)))
                .setPidsStats(PidsStats.newBuilder().setCurrent(4).setLimit(0))
                .setBlkioStats(BlkioStats.newBuilder()
                        .addIoServiceBytesRecursive(entry(254, 0, "read", 180224))
                        .addIoServiceBytesRecursive(entry(254, 0, "write", 4096))
                        .addIoServiceBytesRecursive(entry(254, 0, "rios", 3))
                        .addIoServiceBytesRecursive(entry(254, 0, "wios", 1))
                        .addIoServiceBytesRecursive(entry(254, 0, "dbytes", 0))
                        .addIoServiceBytesRecursive(entry(254, 0, "dios", 0))
                        .addIoServiceBytesRecursive(entry(259, 0, "read", 1))
                        .addIoServiceBytesRecursive(entry(259, 0, "write", 2))
                        .addIoServiceBytesRecursive(entry(259, 0, "rios", 3))
                        .addIoServiceBytesRecursive(entry(259, 0, "wios", 4))
                        .addIoServiceBytesRecursive(entry(259, 0, "dbytes", 5))
                        .addIoServiceBytesRecursive(entry(259, 0, "dios", 6)))
                .putHugetlbStats("2MB", HugetlbStats.newBuilder().setUsage(2097152).setFailcnt(5).build())
                .build();
        assertEquals(expected, stats);
    }

    @Test
    void unlimitedMemoryIsU64MaxAndNoPeakIsZero() throws Exception {
        Path dir = tree.write("cg/c2/cgroup.controllers", "memory\n");
        tree.write("cg/c2/memory.current", "100\n");
        tree.write("cg/c2/memory.max", "max\n");
        tree.write("cg/c2/memory.stat", "anon 100\n");

        CgroupStats stats = reader.read(new CgroupPaths(Optional.of(dir), Map.of()));

        assertEquals(CgroupStats.newBuilder()
                .setCpuStats(CpuStats.getDefaultInstance())
                .setMemoryStats(MemoryStats.newBuilder()
                        .setUsage(memoryData(100, 0, 0, U64_MAX))
                        .setSwapUsage(memoryData(0, 0, 0, 0))
                        .setKernelUsage(memoryData(0, 0, 0, U64_MAX))
                        .putStats("anon", 100))
                .build(), stats);
    }

    @Test
    void cgroupWithoutControllersHasOnlyEmptyCpuStats() throws Exception {
        Path dir = tree.write("cg/c3/cgroup.controllers", "\n");
        tree.write("cg/c3/cpu.stat", "usage_usec 5\n");
        assertEquals(CgroupStats.newBuilder().setCpuStats(CpuStats.getDefaultInstance()).build(),
                reader.read(new CgroupPaths(Optional.of(dir), Map.of())));
    }

    @Test
    void processInNoHierarchyIsAnError() {
        assertThrows(IOException.class, () -> reader.read(new CgroupPaths(Optional.empty(), Map.of())));
    }

    @Test
    void hugePageSizesAreNamedAsTheHugetlbFiles() {
        assertEquals("2MB", HugePageSizes.name(HugePageSizes.bytes("2048kB")));
        assertEquals("1GB", HugePageSizes.name(HugePageSizes.bytes("1048576kB")));
        assertEquals("64KB", HugePageSizes.name(HugePageSizes.bytes("64kB")));
        assertEquals("32MB", HugePageSizes.name(HugePageSizes.bytes("32768kB")));
    }
}
