package org.cvmagent.agent.cgroup;

import org.cvmagent.proto.agent.NetworkStats;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The interface counters of a container's network namespace, from {@code /proc/<pid>/net/dev}
 * of a process in it: proc shows the net/dev of the namespace the process lives in, so no setns
 * is needed.
 */
public final class NetworkStatsReader {

    /** Column indexes after the {@code name:} in net/dev (receive: 8 columns, then transmit). */
    private static final int RX_BYTES = 0;
    private static final int RX_PACKETS = 1;
    private static final int RX_ERRORS = 2;
    private static final int RX_DROPPED = 3;
    private static final int TX_BYTES = 8;
    private static final int TX_PACKETS = 9;
    private static final int TX_ERRORS = 10;
    private static final int TX_DROPPED = 11;

    private final Path procRoot;

    /** @param procRoot normally {@code /proc} */
    public NetworkStatsReader(Path procRoot) {
        this.procRoot = procRoot;
    }

    /** One entry per interface, in the kernel's order (loopback included). */
    public List<NetworkStats> read(long pid) throws IOException {
        if (pid <= 0) {
            throw new IllegalArgumentException("not a pid: " + pid);
        }
        return parse(Files.readString(procRoot.resolve(Long.toString(pid)).resolve("net").resolve("dev")));
    }

    /**
     * Parses net/dev: two header lines, then {@code name: 16 counters}. The name may be followed
     * by the first number without a space ({@code eth0:1234}) when the number is long.
     *
     * @throws IOException when a line after the header is not an interface line
     */
    public static List<NetworkStats> parse(String text) throws IOException {
        List<NetworkStats> stats = new ArrayList<>();
        String[] lines = text.split("\n");
        for (int i = 2; i < lines.length; i++) {
            String line = lines[i];
            if (line.isBlank()) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon < 0) {
                throw new IOException("not a net/dev interface line: '" + line + "'");
            }
            String[] counters = line.substring(colon + 1).trim().split("\\s+");
            if (counters.length < TX_DROPPED + 1) {
                throw new IOException("too few counters in net/dev line: '" + line + "'");
            }
            try {
                stats.add(NetworkStats.newBuilder()
                        .setName(line.substring(0, colon).trim())
                        .setRxBytes(Long.parseUnsignedLong(counters[RX_BYTES]))
                        .setRxPackets(Long.parseUnsignedLong(counters[RX_PACKETS]))
                        .setRxErrors(Long.parseUnsignedLong(counters[RX_ERRORS]))
                        .setRxDropped(Long.parseUnsignedLong(counters[RX_DROPPED]))
                        .setTxBytes(Long.parseUnsignedLong(counters[TX_BYTES]))
                        .setTxPackets(Long.parseUnsignedLong(counters[TX_PACKETS]))
                        .setTxErrors(Long.parseUnsignedLong(counters[TX_ERRORS]))
                        .setTxDropped(Long.parseUnsignedLong(counters[TX_DROPPED]))
                        .build());
            } catch (NumberFormatException e) {
                throw new IOException("not a number in net/dev line: '" + line + "'", e);
            }
        }
        return stats;
    }
}
