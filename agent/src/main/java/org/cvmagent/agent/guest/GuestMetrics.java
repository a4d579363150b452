package org.cvmagent.agent.guest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.cvmagent.agent.fs.MountinfoText;

/**
 * GetMetrics: the Prometheus text kata-agent answers, with kata's metric families and labels, so
 * kata-monitor and the dashboards built on it read this agent unchanged: the agent process
 * ({@code kata_agent_*}: threads, CPU time, VM and RSS size, /proc status, io and stat items) and
 * the guest ({@code kata_guest_*}: load, tasks, CPU time per CPU in ms, vmstat, network devices,
 * disks, meminfo in bytes, space and inodes of the writable real file systems). The JVM's heap
 * figures come on top, under their own names.
 */
public final class GuestMetrics {
    private static final System.Logger LOG = System.getLogger("org.cvmagent.agent.guest");
    /** USER_HZ: /proc reports CPU times in these ticks on every Linux architecture we run on. */
    private static final int TICKS_PER_SECOND = 100;
    private static final List<String> STATUS_ITEMS = List.of("VmPeak", "VmSize", "VmLck", "VmPin", "VmHWM", "VmRSS",
            "RssAnon", "RssFile", "RssShmem", "VmData", "VmStk", "VmExe", "VmLib", "VmPTE", "VmSwap", "HugetlbPages",
            "voluntary_ctxt_switches", "nonvoluntary_ctxt_switches");
    private static final List<String> CPU_ITEMS = List.of("user", "nice", "system", "idle", "iowait", "irq", "softirq",
            "steal", "guest", "guest_nice");
    private static final List<String> DISK_ITEMS = List.of("reads", "merged", "sectors_read", "time_reading", "writes",
            "writes_merged", "sectors_written", "time_writing", "in_progress", "time_in_progress",
            "weighted_time_in_progress", "discards", "discards_merged", "sectors_discarded", "time_discarding",
            "flushes", "time_flushing");
    private static final List<String> NETDEV_ITEMS = List.of("recv_bytes", "recv_packets", "recv_errs", "recv_drop",
            "recv_fifo", "recv_frame", "recv_compressed", "recv_multicast", "sent_bytes", "sent_packets", "sent_errs",
            "sent_drop", "sent_fifo", "sent_colls", "sent_carrier", "sent_compressed");
    /** kata's meminfo items and the /proc/meminfo keys they come from. */
    private static final Map<String, String> MEMINFO_ITEMS = meminfoItems();
    private static final Set<String> REAL_FILE_SYSTEMS = Set.of("ext4", "xfs", "btrfs", "vfat", "overlay");

    private final Path proc;
    private final GuestLibc libc;
    private final AtomicLong scrapes = new AtomicLong();

    /** @param proc normally /proc */
    public GuestMetrics(Path proc) {
        this(proc, GuestLibc.load());
    }

    GuestMetrics(Path proc, GuestLibc libc) {
        this.proc = proc;
        this.libc = libc;
    }

    public String scrape() throws IOException {
        PrometheusText out = new PrometheusText();
        out.counter("kata_agent_scrape_count", "Metrics scrape count").sample(scrapes.incrementAndGet());
        agent(out);
        guest(out);
        return out.toString();
    }

    private void agent(PrometheusText out) throws IOException {
        Path self = proc.resolve("self");
        String statLine = Files.readString(self.resolve("stat"));
        // the fields after "(comm) ": state is [0], so field N of proc(5) is [N - 3]
        String[] stat = statLine.substring(statLine.lastIndexOf(')') + 2).strip().split(" ");
        long utime = Long.parseLong(stat[11]);
        long stime = Long.parseLong(stat[12]);
        Map<String, String> status = keyed(Files.readAllLines(self.resolve("status")));
        out.gauge("kata_agent_threads", "Agent process threads").sample(Long.parseLong(stat[17]));
        out.gauge("kata_agent_total_time", "Agent process total time")
                .sample((utime + stime) / (double) TICKS_PER_SECOND);
        out.gauge("kata_agent_total_vm", "Agent process total VM size").sample(Long.parseLong(stat[20]));
        out.gauge("kata_agent_total_rss", "Agent process total RSS size").sample(kibToBytes(status.get("VmRSS")));
        PrometheusText.Family statusItems = out.gauge("kata_agent_proc_status", "Agent process status.");
        for (String key : STATUS_ITEMS) {
            statusItems.sample(leadingNumber(status.get(key)), "item", key.toLowerCase(java.util.Locale.ROOT));
        }
        PrometheusText.Family io = out.gauge("kata_agent_io_stat", "Agent process IO statistics.");
        // /proc/PID/io exists only with CONFIG_TASK_IO_ACCOUNTING
        keyed(linesIfPresent(self.resolve("io"))).forEach((k, v) -> io.sample(Long.parseLong(v), "item", k));
        PrometheusText.Family procStat = out.gauge("kata_agent_proc_stat", "Agent process statistics.");
        procStat.sample(utime, "item", "utime");
        procStat.sample(stime, "item", "stime");
        procStat.sample(Long.parseLong(stat[13]), "item", "cutime");
        procStat.sample(Long.parseLong(stat[14]), "item", "cstime");
        Runtime rt = Runtime.getRuntime();
        out.gauge("kata_agent_jvm_heap_used_bytes", "JVM heap in use.").sample(rt.totalMemory() - rt.freeMemory());
        out.gauge("kata_agent_jvm_heap_max_bytes", "JVM heap limit.").sample(rt.maxMemory());
    }

    private void guest(PrometheusText out) throws IOException {
        String[] load = Files.readString(proc.resolve("loadavg")).strip().split("\\s+");
        PrometheusText.Family loads = out.gauge("kata_guest_load", "Guest system load.");
        loads.sample(Double.parseDouble(load[0]), "item", "load1");
        loads.sample(Double.parseDouble(load[1]), "item", "load5");
        loads.sample(Double.parseDouble(load[2]), "item", "load15");
        String[] tasks = load[3].split("/");
        PrometheusText.Family taskCounts = out.gauge("kata_guest_tasks", "Guest system load.");
        taskCounts.sample(Long.parseLong(tasks[0]), "item", "cur");
        taskCounts.sample(Long.parseLong(tasks[1]), "item", "max");
        cpuTimes(out);
        PrometheusText.Family vmstat = out.gauge("kata_guest_vm_stat", "Guest virtual memory statistics.");
        for (String line : linesIfPresent(proc.resolve("vmstat"))) {
            String[] kv = line.split(" ");
            vmstat.sample(Long.parseLong(kv[1]), "item", kv[0]);
        }
        netDevices(out);
        disks(out);
        PrometheusText.Family meminfo = out.gauge("kata_guest_meminfo",
                "Statistics about memory usage in the system.");
        Map<String, String> mem = keyed(Files.readAllLines(proc.resolve("meminfo")));
        MEMINFO_ITEMS.forEach((item, key) -> {
            String v = mem.get(key);
            // sizes are in kB, the HugePages_* counts are plain numbers; kata reports bytes and counts
            meminfo.sample(v == null ? 0 : v.endsWith("kB") ? kibToBytes(v) : leadingNumber(v), "item", item);
        });
        fileSystems(out);
    }

    private void cpuTimes(PrometheusText out) throws IOException {
        PrometheusText.Family cpuTime = out.gauge("kata_guest_cpu_time", "Guest CPU statistics.");
        for (String line : Files.readAllLines(proc.resolve("stat"))) {
            if (!line.startsWith("cpu")) {
                continue;
            }
            String[] f = line.split("\\s+");
            String cpu = f[0].equals("cpu") ? "total" : f[0].substring(3);
            for (int i = 0; i < CPU_ITEMS.size(); i++) {
                long ticks = i + 1 < f.length ? Long.parseLong(f[i + 1]) : 0;
                cpuTime.sample(ticks * 1000 / TICKS_PER_SECOND, "cpu", cpu, "item", CPU_ITEMS.get(i));
            }
        }
    }

    private void netDevices(PrometheusText out) throws IOException {
        PrometheusText.Family netdev = out.gauge("kata_guest_netdev_stat", "Guest net devices statistics.");
        List<String> lines = linesIfPresent(proc.resolve("net/dev"));
        for (String line : lines.subList(Math.min(2, lines.size()), lines.size())) {
            int colon = line.indexOf(':');
            String name = line.substring(0, colon).strip();
            String[] f = line.substring(colon + 1).strip().split("\\s+");
            for (int i = 0; i < NETDEV_ITEMS.size() && i < f.length; i++) {
                netdev.sample(Long.parseLong(f[i]), "interface", name, "item", NETDEV_ITEMS.get(i));
            }
        }
    }

    private void disks(PrometheusText out) throws IOException {
        PrometheusText.Family diskstat = out.gauge("kata_guest_diskstat", "Disks statistics in system.");
        for (String line : linesIfPresent(proc.resolve("diskstats"))) {
            String[] f = line.strip().split("\\s+");
            // major minor name, then the counters; kernels before 4.18 have no discard, before 5.5 no flush fields
            for (int i = 0; i < DISK_ITEMS.size(); i++) {
                long v = i + 3 < f.length ? Long.parseLong(f[i + 3]) : 0;
                diskstat.sample(v, "disk", f[2], "item", DISK_ITEMS.get(i));
            }
        }
    }

    /** Writable mounts of real file systems, each device once (bind mounts repeat it), as kata lists them. */
    private void fileSystems(PrometheusText out) throws IOException {
        PrometheusText.Family bytes = out.gauge("kata_guest_filesystem_bytes", "Guest filesystem space usage in bytes.");
        PrometheusText.Family inodes = out.gauge("kata_guest_filesystem_inodes", "Guest filesystem inode usage.");
        Set<String> devices = new HashSet<>();
        for (String line : Files.readAllLines(proc.resolve("self/mountinfo"))) {
            int dash = line.indexOf(" - ");
            if (dash < 0) {
                continue;
            }
            String[] pre = line.substring(0, dash).split(" ");
            String[] post = line.substring(dash + 3).split(" ");
            if (pre.length < 5 || post.length < 3 || !REAL_FILE_SYSTEMS.contains(post[0])
                    || List.of(post[2].split(",")).contains("ro") || !devices.add(pre[2])) {
                continue;
            }
            String mountPoint = MountinfoText.unescape(pre[4]);
            String source = MountinfoText.unescape(post[1]);
            String device = source.isEmpty() ? pre[2] : source.substring(source.lastIndexOf('/') + 1);
            GuestLibc.FsStats s;
            try {
                s = libc.statfs(mountPoint);
            } catch (IOException e) {
                // unmounted since mountinfo was read, for one: that mount has no series, as in kata
                LOG.log(System.Logger.Level.INFO, "no file system metrics for " + mountPoint + ": " + e.getMessage());
                continue;
            }
            long total = s.blocks() * s.blockSize();
            long available = s.freeBlocks() * s.blockSize();
            bytes.sample(total, "mount", mountPoint, "device", device, "item", "total");
            bytes.sample(total - available, "mount", mountPoint, "device", device, "item", "used");
            bytes.sample(available, "mount", mountPoint, "device", device, "item", "available");
            inodes.sample(s.files(), "mount", mountPoint, "device", device, "item", "total");
            inodes.sample(s.files() - s.freeFiles(), "mount", mountPoint, "device", device, "item", "used");
            inodes.sample(s.freeFiles(), "mount", mountPoint, "device", device, "item", "available");
        }
    }

    /**
     * The lines of a /proc file the kernel may be built without: none when absent, so its family
     * has no samples and the rest of the scrape stands, as kata answers.
     */
    private static List<String> linesIfPresent(Path file) throws IOException {
        try {
            return Files.readAllLines(file);
        } catch (NoSuchFileException e) {
            LOG.log(System.Logger.Level.DEBUG, "no " + file + " in this kernel: its metrics are left out");
            return List.of();
        }
    }

    /** "Key:   value" lines (status, io, meminfo) by key. */
    private static Map<String, String> keyed(List<String> lines) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (String line : lines) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                out.put(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
            }
        }
        return out;
    }

    private static long leadingNumber(String value) {
        if (value == null || value.isEmpty()) {
            return 0;
        }
        return Long.parseLong(value.split("\\s+")[0]);
    }

    private static long kibToBytes(String value) {
        return leadingNumber(value) * 1024;
    }

    private static Map<String, String> meminfoItems() {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        String[][] pairs = {{"mem_total", "MemTotal"}, {"mem_free", "MemFree"}, {"mem_available", "MemAvailable"},
                {"buffers", "Buffers"}, {"cached", "Cached"}, {"swap_cached", "SwapCached"}, {"active", "Active"},
                {"inactive", "Inactive"}, {"active_anon", "Active(anon)"}, {"inactive_anon", "Inactive(anon)"},
                {"active_file", "Active(file)"}, {"inactive_file", "Inactive(file)"}, {"unevictable", "Unevictable"},
                {"mlocked", "Mlocked"}, {"high_total", "HighTotal"}, {"high_free", "HighFree"},
                {"low_total", "LowTotal"}, {"low_free", "LowFree"}, {"mmap_copy", "MmapCopy"},
                {"swap_total", "SwapTotal"}, {"swap_free", "SwapFree"}, {"dirty", "Dirty"},
                {"writeback", "Writeback"}, {"anon_pages", "AnonPages"}, {"mapped", "Mapped"}, {"shmem", "Shmem"},
                {"slab", "Slab"}, {"s_reclaimable", "SReclaimable"}, {"s_unreclaim", "SUnreclaim"},
                {"kernel_stack", "KernelStack"}, {"page_tables", "PageTables"}, {"quicklists", "Quicklists"},
                {"nfs_unstable", "NFS_Unstable"}, {"bounce", "Bounce"}, {"writeback_tmp", "WritebackTmp"},
                {"commit_limit", "CommitLimit"}, {"committed_as", "Committed_AS"},
                {"vmalloc_total", "VmallocTotal"}, {"vmalloc_used", "VmallocUsed"},
                {"vmalloc_chunk", "VmallocChunk"}, {"hardware_corrupted", "HardwareCorrupted"},
                {"anon_hugepages", "AnonHugePages"}, {"shmem_hugepages", "ShmemHugePages"},
                {"shmem_pmd_mapped", "ShmemPmdMapped"}, {"cma_total", "CmaTotal"}, {"cma_free", "CmaFree"},
                {"hugepages_total", "HugePages_Total"}, {"hugepages_free", "HugePages_Free"},
                {"hugepages_rsvd", "HugePages_Rsvd"}, {"hugepages_surp", "HugePages_Surp"},
                {"hugepagesize", "Hugepagesize"}, {"direct_map_4k", "DirectMap4k"},
                {"direct_map_4M", "DirectMap4M"}, {"direct_map_2M", "DirectMap2M"},
                {"direct_map_1G", "DirectMap1G"}, {"hugetlb", "Hugetlb"}, {"per_cpu", "Percpu"},
                {"k_reclaimable", "KReclaimable"}};
        for (String[] p : pairs) {
            m.put(p[0], p[1]);
        }
        return java.util.Collections.unmodifiableMap(m);
    }
}
