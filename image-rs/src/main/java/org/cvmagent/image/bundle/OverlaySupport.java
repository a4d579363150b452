package org.cvmagent.image.bundle;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether the kernel offers overlayfs, read from {@code /proc/filesystems}. */
public final class OverlaySupport {
    private final Path procFilesystems;

    public OverlaySupport(Path procFilesystems) {
        this.procFilesystems = procFilesystems;
    }

    public static OverlaySupport system() {
        return new OverlaySupport(Path.of("/proc/filesystems"));
    }

    public boolean available() throws IOException {
        if (!Files.isReadable(procFilesystems)) {
            return false;
        }
        return Files.readAllLines(procFilesystems).stream()
                .map(l -> l.strip().split("\\s+"))
                .anyMatch(f -> f[f.length - 1].equals("overlay"));
    }
}
