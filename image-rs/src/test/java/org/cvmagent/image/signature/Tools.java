package org.cvmagent.image.signature;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the real signing tools the tests depend on; a missing tool fails the test (scripts/setup installs them). */
final class Tools {

    private Tools() {}

    static void requireBinary(String name) {
        boolean found = false;
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, name))) {
                found = true;
            }
        }
        assertTrue(found, name + " is not installed: run scripts/setup (Debian packages skopeo, gnupg)");
    }

    /** Runs {@code command}, asserting exit status 0; returns stdout. */
    static String run(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(env);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Path err = Files.createTempFile("tool", ".err");
        pb.redirectError(err.toFile());
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timed out: " + command);
        String stderr = Files.readString(err);
        Files.delete(err);
        assertEquals(0, p.exitValue(), () -> String.join(" ", command) + " failed: " + stderr);
        return new String(out, StandardCharsets.UTF_8);
    }
}
