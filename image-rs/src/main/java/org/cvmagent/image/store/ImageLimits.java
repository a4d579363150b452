package org.cvmagent.image.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Bounds on what one image may unpack, over all its layers: bytes of regular files and entries.
 * A layer is checked against its digest as it streams, but a digest only says the registry meant
 * those bytes; a small gzip stream can expand a thousandfold. In the guest the layer store is on
 * tmpfs, that is in RAM, so these bounds are what keeps a hostile registry from filling the
 * guest's memory with one pull (unless init-data's {@code image_store_device} puts the store on an
 * encrypted disk: then the agent derives them from that file system's size).
 *
 * @param maxBytes   total size of the regular files of all the image's layers
 * @param maxEntries total number of tar entries of all the image's layers
 */
public record ImageLimits(long maxBytes, long maxEntries) {

    /** tmpfs's own default: a mount may fill half of RAM, and hold an inode per two pages of it. */
    static final int RAM_DIVISOR = 2;
    static final long PAGE = 4096;

    public ImageLimits {
        if (maxBytes <= 0 || maxEntries <= 0) {
            throw new IllegalArgumentException("image limits must be positive");
        }
    }

    /** No bound beyond the per-layer ones (tools on a host, tests). */
    public static ImageLimits unlimited() {
        return new ImageLimits(Long.MAX_VALUE, Long.MAX_VALUE);
    }

    /**
     * Half of the guest's RAM ({@code MemTotal}) and an entry per two pages of it: the bounds
     * tmpfs gives a mount by default. The store's tmpfs would refuse past them anyway, but only
     * after the RAM was taken and with ENOSPC in the middle of a layer; refusing at the same point
     * names the layer, removes its partial unpack, and leaves the other half of RAM to the
     * containers and the agent.
     *
     * @param meminfo {@code /proc/meminfo}
     * @throws IOException when it cannot be read or has no MemTotal
     */
    public static ImageLimits fromMeminfo(Path meminfo) throws IOException {
        for (String line : Files.readAllLines(meminfo)) {
            if (line.startsWith("MemTotal:")) {
                String[] parts = line.substring("MemTotal:".length()).strip().split("\\s+");
                long bytes;
                try {
                    bytes = Long.parseLong(parts[0]) * (parts.length > 1 && parts[1].equals("kB") ? 1024 : 1);
                } catch (NumberFormatException e) {
                    throw new IOException(meminfo + ": unreadable MemTotal line: " + line, e);
                }
                if (bytes <= 0) {
                    throw new IOException(meminfo + ": MemTotal is not positive: " + line);
                }
                return new ImageLimits(Math.max(1, bytes / RAM_DIVISOR), Math.max(1, bytes / PAGE / RAM_DIVISOR));
            }
        }
        throw new IOException(meminfo + " has no MemTotal line");
    }

    public ImageLimits withMaxBytes(long bytes) {
        return new ImageLimits(bytes, maxEntries);
    }

    public ImageLimits withMaxEntries(long entries) {
        return new ImageLimits(maxBytes, entries);
    }
}
