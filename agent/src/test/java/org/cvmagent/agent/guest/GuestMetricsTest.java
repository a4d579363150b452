package org.cvmagent.agent.guest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GetMetrics in kata's families and units, from a /proc tree with known figures and from the real one. */
class GuestMetricsTest {
    @TempDir
    Path proc;

    @Test
    void knownProcFiguresComeOutInKatasFamiliesAndUnits() throws Exception {
        Path self = Files.createDirectories(proc.resolve("self"));
        // pid (comm with ) space) state ppid … utime=250 stime=50 cutime=7 cstime=3 … threads=23 … vsize=4096000
        Files.writeString(self.resolve("stat"), "42 (java (x) y) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 23 0 "
                + "500 4096000 2000 18446744073709551615\n");
        Files.writeString(self.resolve("status"), "Name:\tjava\nVmPeak:\t  300000 kB\nVmRSS:\t   81000 kB\n"
                + "RssAnon:\t   70000 kB\nThreads:\t23\nvoluntary_ctxt_switches:\t12\n");
        Files.writeString(self.resolve("io"), "rchar: 1000\nwchar: 2000\nsyscr: 3\nsyscw: 4\nread_bytes: 4096\n"
                + "write_bytes: 8192\ncancelled_write_bytes: 0\n");
        Files.writeString(self.resolve("mountinfo"),
                "22 1 254:1 / " + proc + " rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
                + "23 1 254:1 / /bind\\040copy rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
                + "24 1 254:2 / /ro rw,relatime - ext4 /dev/vdb ro\n"
                + "25 1 0:5 / /proc rw - proc proc rw\n");
        Files.writeString(proc.resolve("loadavg"), "0.50 0.25 0.10 2/180 4321\n");
        Files.writeString(proc.resolve("stat"), "cpu  100 0 50 1000 5 0 1 0 0 0\ncpu0 60 0 30 500 5 0 1 0 0 0\n"
                + "intr 1 2 3\nctxt 99\n");
        Files.writeString(proc.resolve("vmstat"), "nr_free_pages 1234\npgfault 99\n");
        Files.createDirectories(proc.resolve("net"));
        Files.writeString(proc.resolve("net/dev"), "Inter-|   Receive |  Transmit\n face |bytes packets\n"
                + "  eth0: 1500 10 0 0 0 0 0 0 2500 20 0 0 0 0 0 0\n    lo: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
        Files.writeString(proc.resolve("diskstats"), " 254 0 vda 11 1 88 5 22 2 176 9 0 14 14\n");
        Files.writeString(proc.resolve("meminfo"), "MemTotal:        1000 kB\nMemFree:          500 kB\n"
                + "Active(anon):      10 kB\nHugePages_Total:       2\nHugepagesize:    2048 kB\n");

        Map<String, String> samples = samples(new GuestMetrics(proc).scrape());
        assertEquals("1", samples.get("kata_agent_scrape_count"));
        assertEquals("23", samples.get("kata_agent_threads"));
        assertEquals("3", samples.get("kata_agent_total_time"), "(250 + 50) ticks at 100 Hz");
        assertEquals("4096000", samples.get("kata_agent_total_vm"));
        assertEquals("82944000", samples.get("kata_agent_total_rss"));
        assertEquals("81000", samples.get("kata_agent_proc_status{item=\"vmrss\"}"), "kB, as kata reports it");
        assertEquals("12", samples.get("kata_agent_proc_status{item=\"voluntary_ctxt_switches\"}"));
        assertEquals("0", samples.get("kata_agent_proc_status{item=\"vmswap\"}"));
        assertEquals("8192", samples.get("kata_agent_io_stat{item=\"write_bytes\"}"));
        assertEquals("7", samples.get("kata_agent_proc_stat{item=\"cutime\"}"));
        assertEquals("0.25", samples.get("kata_guest_load{item=\"load5\"}"));
        assertEquals("180", samples.get("kata_guest_tasks{item=\"max\"}"));
        assertEquals("10000", samples.get("kata_guest_cpu_time{cpu=\"total\",item=\"idle\"}"), "ms");
        assertEquals("600", samples.get("kata_guest_cpu_time{cpu=\"0\",item=\"user\"}"));
        assertEquals("99", samples.get("kata_guest_vm_stat{item=\"pgfault\"}"));
        assertEquals("2500", samples.get("kata_guest_netdev_stat{interface=\"eth0\",item=\"sent_bytes\"}"));
        assertEquals("176", samples.get("kata_guest_diskstat{disk=\"vda\",item=\"sectors_written\"}"));
        assertEquals("0", samples.get("kata_guest_diskstat{disk=\"vda\",item=\"flushes\"}"), "an older kernel's line");
        assertEquals("1024000", samples.get("kata_guest_meminfo{item=\"mem_total\"}"), "bytes");
        assertEquals("10240", samples.get("kata_guest_meminfo{item=\"active_anon\"}"));
        assertEquals("2", samples.get("kata_guest_meminfo{item=\"hugepages_total\"}"), "a count");
        assertEquals("0", samples.get("kata_guest_meminfo{item=\"cma_total\"}"), "absent: 0, as kata");
        String fs = "{mount=\"" + proc + "\",device=\"vda1\",item=\"total\"}";
        assertTrue(Long.parseLong(samples.get("kata_guest_filesystem_bytes" + fs)) > 0, samples.toString());
        assertTrue(samples.containsKey("kata_guest_filesystem_inodes" + fs));
        assertFalse(samples.keySet().stream().anyMatch(k -> k.contains("/bind copy") || k.contains("/ro\"")),
                "a bind mount of the same device and a read-only file system have no series");

        // a kernel without task I/O accounting or block devices: those families are empty, the rest stands
        Files.delete(self.resolve("io"));
        Files.delete(proc.resolve("diskstats"));
        Map<String, String> lean = samples(new GuestMetrics(proc).scrape());
        assertFalse(lean.keySet().stream().anyMatch(k -> k.startsWith("kata_agent_io_stat")
                || k.startsWith("kata_guest_diskstat")), lean.toString());
        assertEquals("1024000", lean.get("kata_guest_meminfo{item=\"mem_total\"}"));
    }

    @Test
    void theRealProcIsOneWellFormedScrape() throws Exception {
        GuestMetrics metrics = new GuestMetrics(Path.of("/proc"));
        metrics.scrape();
        String text = metrics.scrape();
        Map<String, String> samples = samples(text);
        assertEquals("2", samples.get("kata_agent_scrape_count"), "counted per scrape");
        for (String name : List.of("kata_agent_threads", "kata_agent_total_rss", "kata_guest_meminfo{item=\"mem_total\"}",
                "kata_guest_load{item=\"load1\"}", "kata_guest_cpu_time{cpu=\"total\",item=\"idle\"}")) {
            assertTrue(samples.containsKey(name), name + " in\n" + text);
        }
        for (String line : text.split("\n")) {
            assertTrue(line.startsWith("# HELP ") || line.startsWith("# TYPE ")
                    || line.matches("[a-z_0-9]+(\\{([a-z]+=\"([^\"\\\\]|\\\\.)*\",?)+\\})? -?[0-9.E]+"),
                    "exposition line: " + line);
        }
    }

    private static Map<String, String> samples(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (!line.startsWith("#")) {
                int space = line.lastIndexOf(' ');
                out.put(line.substring(0, space), line.substring(space + 1));
            }
        }
        return out;
    }
}
