package org.cvmagent.agent.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Test helper: what /proc/self/mountinfo says is mounted, and a safety net that unmounts it. */
final class MountTable {

    private static final int MNT_DETACH = 2;

    private MountTable() {
    }

    /** Mount points at or beneath {@code dir}, in mount order. */
    static List<Path> under(Path dir) throws IOException {
        List<Path> found = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            Path point = Path.of(unescape(line.split(" ")[4]));
            if (point.startsWith(dir)) {
                found.add(point);
            }
        }
        return found;
    }

    /** The filesystem type of the topmost mount at {@code point}, or null. */
    static String fstype(Path point) throws IOException {
        String type = null;
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] fields = line.split(" ");
            if (Path.of(unescape(fields[4])).equals(point)) {
                int dash = List.of(fields).indexOf("-");
                type = fields[dash + 1];
            }
        }
        return type;
    }

    /** Lazily unmounts everything left beneath {@code dir}, innermost first. */
    static void unmountAll(Path dir) throws IOException {
        MountLibc libc = MountLibc.load();
        List<Path> left = under(dir);
        for (int i = left.size() - 1; i >= 0; i--) {
            libc.umount2(left.get(i).toString(), MNT_DETACH);
        }
    }

    private static String unescape(String field) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length()) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
