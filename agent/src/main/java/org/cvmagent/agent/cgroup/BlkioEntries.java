package org.cvmagent.agent.cgroup;

import org.cvmagent.proto.agent.BlkioStatsEntry;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Parses the block I/O statistics files into kata's {@link BlkioStatsEntry} lists. */
final class BlkioEntries {

    /** The operations kata reports for a v1 per-operation file, in its order (Discard is read but not reported). */
    private static final List<String> V1_OPS = List.of("Read", "Write", "Sync", "Async", "Total");

    /** The v2 {@code io.stat} keys kata reports, with the op name it gives each, in its order. */
    private static final Map<String, String> V2_KEYS = orderedPairs(
            "rbytes", "read", "wbytes", "write", "rios", "rios", "wios", "wios", "dbytes", "dbytes", "dios", "dios");

    private BlkioEntries() {
    }

    /**
     * A v1 per-operation file ({@code blkio.io_serviced_recursive},
     * {@code blkio.throttle.io_service_bytes}, …): lines {@code MAJ:MIN Op value} and a final
     * {@code Total value}. Each device gives five entries read, write, sync, async, total (lower
     * case), a missing op being 0. Consecutive lines of one device form one group, as in kata. A
     * malformed device line makes the whole list empty, as kata's parse error does.
     */
    static List<BlkioStatsEntry> perOperation(String text) {
        List<BlkioStatsEntry> entries = new ArrayList<>();
        long[] device = null;
        Map<String, Long> values = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length != 3) {
                continue;
            }
            long[] parsed = device(fields[0]);
            long value;
            try {
                value = Long.parseUnsignedLong(fields[2]);
            } catch (NumberFormatException e) {
                return List.of();
            }
            if (parsed == null) {
                return List.of();
            }
            if (device != null && (device[0] != parsed[0] || device[1] != parsed[1])) {
                addOperations(entries, device, values);
                values.clear();
            }
            device = parsed;
            values.put(fields[1], value);
        }
        if (device != null) {
            addOperations(entries, device, values);
        }
        return entries;
    }

    /**
     * A v1 per-device file without operations ({@code blkio.time_recursive},
     * {@code blkio.sectors_recursive}): {@code MAJ:MIN value} lines, op empty. Malformed content
     * gives an empty list, as in kata.
     */
    static List<BlkioStatsEntry> perDevice(String text) {
        String[] tokens = text.replace(':', ' ').trim().split("\\s+");
        if (tokens.length == 1 && tokens[0].isEmpty()) {
            return List.of();
        }
        if (tokens.length % 3 != 0) {
            return List.of();
        }
        List<BlkioStatsEntry> entries = new ArrayList<>();
        try {
            for (int i = 0; i < tokens.length; i += 3) {
                entries.add(entry(Long.parseLong(tokens[i]), Long.parseLong(tokens[i + 1]), "",
                        Long.parseUnsignedLong(tokens[i + 2])));
            }
        } catch (NumberFormatException e) {
            return List.of();
        }
        return entries;
    }

    /**
     * v2 {@code io.stat}: {@code MAJ:MIN rbytes=… wbytes=… rios=… wios=… dbytes=… dios=…} per
     * device, giving six entries read, write, rios, wios, dbytes, dios.
     *
     * <p>Deviation from kata: its cgroups-rs splits each {@code key=value} on ':' and so reports
     * every value as 0; we report the values. Lines with extra keys (newer kernels append e.g.
     * cost.* fields) are read too, where kata skips any line that is not exactly seven fields.
     */
    static List<BlkioStatsEntry> ioStat(String text) {
        List<BlkioStatsEntry> entries = new ArrayList<>();
        for (String line : text.split("\n")) {
            String[] fields = line.trim().split("\\s+");
            long[] device = device(fields[0]);
            if (device == null) {
                continue;
            }
            Map<String, Long> values = new LinkedHashMap<>();
            for (int i = 1; i < fields.length; i++) {
                int eq = fields[i].indexOf('=');
                if (eq > 0) {
                    values.put(fields[i].substring(0, eq), CgroupFile.parseU64(fields[i].substring(eq + 1), 0));
                }
            }
            V2_KEYS.forEach((key, op) -> entries.add(entry(device[0], device[1], op, values.getOrDefault(key, 0L))));
        }
        return entries;
    }

    private static void addOperations(List<BlkioStatsEntry> entries, long[] device, Map<String, Long> values) {
        for (String op : V1_OPS) {
            entries.add(entry(device[0], device[1], op.toLowerCase(Locale.ROOT), values.getOrDefault(op, 0L)));
        }
    }

    /** {@code MAJ:MIN} → {major, minor}, or null when it is not a device. */
    private static long[] device(String field) {
        int colon = field.indexOf(':');
        if (colon <= 0) {
            return null;
        }
        try {
            return new long[] {Long.parseLong(field.substring(0, colon)), Long.parseLong(field.substring(colon + 1))};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static BlkioStatsEntry entry(long major, long minor, String op, long value) {
        return BlkioStatsEntry.newBuilder().setMajor(major).setMinor(minor).setOp(op).setValue(value).build();
    }

    private static Map<String, String> orderedPairs(String... keyValues) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put(keyValues[i], keyValues[i + 1]);
        }
        return Collections.unmodifiableMap(map);
    }
}
