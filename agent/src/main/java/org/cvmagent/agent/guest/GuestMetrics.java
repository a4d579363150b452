package org.cvmagent.agent.guest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * GetMetrics: Prometheus text exposition of the agent process (resident memory, threads, open
 * descriptors, CPU time, JVM heap) and of the guest (memory, load, CPU time), read from /proc.
 */
public final class GuestMetrics {
    private final Path proc;

    /** @param proc normally /proc */
    public GuestMetrics(Path proc) {
        this.proc = proc;
    }

    public String scrape() throws IOException {
        StringBuilder out = new StringBuilder();
        Path self = proc.resolve("self");
        for (String line : Files.readAllLines(self.resolve("status"))) {
            if (line.startsWith("VmRSS:")) {
                gauge(out, "kata_agent_process_resident_memory_bytes", "Resident memory of the agent process.",
                        kib(line));
            } else if (line.startsWith("Threads:")) {
                gauge(out, "kata_agent_process_threads", "Threads of the agent process.",
                        Long.parseLong(line.substring(8).strip()));
            }
        }
        try (var fds = Files.list(self.resolve("fd"))) {
            gauge(out, "kata_agent_process_open_fds", "Open file descriptors of the agent process.", fds.count());
        }
        String statLine = Files.readString(self.resolve("stat"));
        String[] stat = statLine.substring(statLine.lastIndexOf(')') + 2).split(" ");
        // fields 14 and 15 of /proc/PID/stat (utime, stime) are the 12th and 13th after the comm
        long ticks = Long.parseLong(stat[11]) + Long.parseLong(stat[12]);
        counter(out, "kata_agent_process_cpu_seconds_total", "CPU time of the agent process.", ticks / 100.0);
        Runtime rt = Runtime.getRuntime();
        gauge(out, "kata_agent_jvm_heap_used_bytes", "JVM heap in use.", rt.totalMemory() - rt.freeMemory());
        gauge(out, "kata_agent_jvm_heap_max_bytes", "JVM heap limit.", rt.maxMemory());
        for (String line : Files.readAllLines(proc.resolve("meminfo"))) {
            for (String field : List.of("MemTotal", "MemFree", "MemAvailable", "Cached", "SwapTotal", "SwapFree")) {
                if (line.startsWith(field + ":")) {
                    gauge(out, "kata_guest_meminfo_" + field.toLowerCase(Locale.ROOT) + "_bytes",
                            "Guest " + field + " from /proc/meminfo.", kib(line));
                }
            }
        }
        String[] load = Files.readString(proc.resolve("loadavg")).strip().split("\\s+");
        gauge(out, "kata_guest_load1", "Guest load average over 1 minute.", Double.parseDouble(load[0]));
        for (String line : Files.readAllLines(proc.resolve("stat"))) {
            if (line.startsWith("cpu ")) {
                String[] f = line.substring(4).strip().split("\\s+");
                String[] modes = {"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"};
                out.append("# HELP kata_guest_cpu_seconds_total Guest CPU time by mode.\n")
                        .append("# TYPE kata_guest_cpu_seconds_total counter\n");
                for (int i = 0; i < modes.length && i < f.length; i++) {
                    out.append("kata_guest_cpu_seconds_total{mode=\"").append(modes[i]).append("\"} ")
                            .append(number(Long.parseLong(f[i]) / 100.0)).append('\n');
                }
            }
        }
        return out.toString();
    }

    private static long kib(String line) {
        String[] parts = line.split("\\s+");
        return Long.parseLong(parts[1]) * 1024;
    }

    private static void gauge(StringBuilder out, String name, String help, double value) {
        metric(out, name, help, "gauge", value);
    }

    private static void counter(StringBuilder out, String name, String help, double value) {
        metric(out, name, help, "counter", value);
    }

    private static void metric(StringBuilder out, String name, String help, String type, double value) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n')
                .append("# TYPE ").append(name).append(' ').append(type).append('\n')
                .append(name).append(' ').append(number(value)).append('\n');
    }

    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}
