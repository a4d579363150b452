package org.cvmagent.attestation.tsm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** configfs-tsm as the kernel mounts it: a directory per request under the report root. */
public final class KernelConfigfsTsm implements ConfigfsTsm {
    /** Where the kernel exposes report requests. */
    public static final Path DEFAULT_ROOT = Path.of("/sys/kernel/config/tsm/report");

    private final Path root;

    public KernelConfigfsTsm(Path root) {
        this.root = root;
    }

    @Override
    public boolean available() {
        return Files.isDirectory(root);
    }

    @Override
    public String createRequest() throws IOException {
        return Files.createTempDirectory(root, "cvm-").getFileName().toString();
    }

    @Override
    public byte[] read(String request, String attribute) throws IOException {
        return Files.readAllBytes(root.resolve(request).resolve(attribute));
    }

    @Override
    public void write(String request, String attribute, byte[] value) throws IOException {
        Files.write(root.resolve(request).resolve(attribute), value);
    }

    @Override
    public boolean has(String request, String attribute) {
        return Files.exists(root.resolve(request).resolve(attribute));
    }

    @Override
    public void remove(String request) throws IOException {
        // rmdir: configfs drops the attribute files with the directory
        Files.delete(root.resolve(request));
    }

    @Override
    public String toString() {
        return root.toString();
    }
}
