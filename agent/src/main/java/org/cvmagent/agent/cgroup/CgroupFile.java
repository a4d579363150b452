package org.cvmagent.agent.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Reads cgroup interface files with kata's tolerance (its cgroups-rs calls end in
 * {@code unwrap_or(default)}): a file that does not exist — a controller feature this kernel
 * lacks, e.g. {@code memory.memsw.*} without swap accounting or {@code memory.peak} before Linux
 * 5.19 — and content that does not parse both yield the default. Any other I/O error is real and
 * propagates.
 */
final class CgroupFile {

    private CgroupFile() {
    }

    /** The trimmed content, or empty when the file does not exist. */
    static Optional<String> read(Path dir, String name) throws IOException {
        try {
            return Optional.of(Files.readString(dir.resolve(name)).trim());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /** A single unsigned 64-bit value (returned in a long's bits). */
    static long u64(Path dir, String name, long fallback) throws IOException {
        return read(dir, name).map(text -> parseU64(text, fallback)).orElse(fallback);
    }

    /** A single signed 64-bit value, e.g. a v1 {@code *.limit_in_bytes}; kata then casts it to u64, which is what a long's bits already are. */
    static long i64(Path dir, String name, long fallback) throws IOException {
        return read(dir, name).map(text -> parseI64(text, fallback)).orElse(fallback);
    }

    /**
     * A v2 {@code max}-or-number file ({@code memory.max}, {@code pids.max}): {@code max} gives
     * {@code whenMax}, a number its value, anything else (or no file) {@code fallback}.
     */
    static long maxValue(Path dir, String name, long whenMax, long fallback) throws IOException {
        Optional<String> text = read(dir, name);
        if (text.isEmpty()) {
            return fallback;
        }
        return text.get().equals("max") ? whenMax : parseI64(text.get(), fallback);
    }

    /**
     * A flat-keyed file ({@code key value} lines: {@code memory.stat}, {@code cpu.stat},
     * {@code cpuacct.stat}, {@code memory.events}) as an ordered map; lines that are not exactly
     * two fields with an unsigned number are skipped, as kata skips them. Empty when the file does
     * not exist.
     */
    static Map<String, Long> flatKeyed(Path dir, String name) throws IOException {
        return read(dir, name).map(CgroupFile::parseFlatKeyed).orElse(Map.of());
    }

    static Map<String, Long> parseFlatKeyed(String text) {
        Map<String, Long> values = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length != 2) {
                continue;
            }
            try {
                values.put(fields[0], Long.parseUnsignedLong(fields[1]));
            } catch (NumberFormatException e) {
                // Not a counter line (kata's parse also drops it); the other lines still count.
                continue;
            }
        }
        return values;
    }

    static long parseU64(String text, long fallback) {
        try {
            return Long.parseUnsignedLong(text.trim());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    static long parseI64(String text, long fallback) {
        try {
            return Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }
}
