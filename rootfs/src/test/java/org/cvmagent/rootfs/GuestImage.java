package org.cvmagent.rootfs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The guest image of this checkout: {@code rootfs/build} makes it (idempotently, installing what is
 * missing) and {@code rootfs/run-guest} boots it.
 */
final class GuestImage {

    private static final long BUILD_MINUTES = 8;

    private final Path root;

    GuestImage(Path root) {
        this.root = root;
    }

    /** The checkout the surefire configuration points at (property {@code cvmagent.root}). */
    static GuestImage ofCheckout() {
        String root = System.getProperty("cvmagent.root");
        if (root == null) {
            throw new IllegalStateException("system property cvmagent.root is not set (see rootfs/pom.xml)");
        }
        return new GuestImage(Path.of(root).toAbsolutePath().normalize());
    }

    Path root() {
        return root;
    }

    Path runGuest() {
        return root.resolve("rootfs/run-guest");
    }

    /**
     * Runs {@code rootfs/build}; its output goes to {@code log} and, once done, to stdout (it has
     * the image sizes).
     *
     * @throws IOException the build failed or took too long; the message carries its output
     */
    void build(Path log) throws IOException, InterruptedException {
        Process build = new ProcessBuilder(List.of(root.resolve("rootfs/build").toString()))
                .directory(root.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!build.waitFor(BUILD_MINUTES, TimeUnit.MINUTES)) {
            build.destroyForcibly();
            throw new IOException("rootfs/build took more than " + BUILD_MINUTES + " minutes:\n" + Files.readString(log));
        }
        String output = Files.readString(log);
        if (build.exitValue() != 0) {
            throw new IOException("rootfs/build failed with exit code " + build.exitValue() + ":\n" + output);
        }
        System.out.print(output);
    }
}
