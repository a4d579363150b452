package org.cvmagent.agent.cgroup;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The huge page sizes of this kernel, named as the hugetlb controller's files name them
 * ({@code 2MB}, {@code 1GB}, {@code 64KB}): from the directories {@code hugepages-2048kB} of
 * {@code /sys/kernel/mm/hugepages}, the way kata's cgroups-rs derives them.
 */
final class HugePageSizes {

    private static final String[] UNITS = {"B", "KB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"};

    private final Path hugepagesDir;

    HugePageSizes(Path hugepagesDir) {
        this.hugepagesDir = hugepagesDir;
    }

    /** Sorted for a stable order; empty when the kernel has no huge pages. */
    List<String> list() throws IOException {
        List<String> sizes = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(hugepagesDir, "hugepages-*")) {
            for (Path dir : dirs) {
                String name = dir.getFileName().toString();
                Long bytes = bytes(name.substring("hugepages-".length()));
                if (bytes != null) {
                    sizes.add(name(bytes));
                }
            }
        } catch (NoSuchFileException e) {
            return List.of();
        }
        sizes.sort(null);
        return sizes;
    }

    /** {@code 2048kB} → 2097152; null when it is not a number with a k/m/g/t/p multiplier. */
    static Long bytes(String text) {
        String s = text.trim();
        if (s.endsWith("b") || s.endsWith("B")) {
            s = s.substring(0, s.length() - 1);
        }
        if (s.length() < 2) {
            return null;
        }
        int shift = switch (Character.toLowerCase(s.charAt(s.length() - 1))) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            case 't' -> 40;
            case 'p' -> 50;
            default -> -1;
        };
        if (shift < 0) {
            return null;
        }
        try {
            return Long.parseLong(s.substring(0, s.length() - 1).trim()) << shift;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** 2097152 → {@code 2MB}: divide by 1024 while it is at least 1024, printing a whole number without a fraction. */
    static String name(long bytes) {
        double size = bytes;
        int unit = 0;
        while (size >= 1024 && unit < UNITS.length - 1) {
            size /= 1024;
            unit++;
        }
        String number = size == Math.rint(size) ? Long.toString((long) size) : String.format(Locale.ROOT, "%s", size);
        return number + UNITS[unit];
    }
}
