package org.cvmagent.image.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs test prerequisites (skopeo, openssl); a missing one fails the test, never skips it. */
public final class Commands {
    private Commands() {
    }

    public static void requireBinary(String path) {
        assertTrue(Files.isExecutable(Path.of(path)), path + " is missing: run scripts/setup");
    }

    /**
     * Runs {@code cmd} with {@code env} added to the environment and no input, asserting exit
     * status 0; returns stdout alone (what gpg --with-colons prints), stderr goes into the failure.
     */
    public static String output(List<String> cmd, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().putAll(env);
        Path err = Files.createTempFile("command", ".err");
        try {
            Process p = pb.redirectError(err.toFile()).start();
            byte[] out = p.getInputStream().readAllBytes();
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timeout: " + cmd);
            String stderr = Files.readString(err);
            assertEquals(0, p.exitValue(), () -> String.join(" ", cmd) + " failed:\n" + stderr);
            return new String(out, StandardCharsets.UTF_8);
        } finally {
            Files.delete(err);
        }
    }

    public static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "timeout: " + cmd);
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), () -> String.join(" ", cmd) + " failed:\n" + text);
        return text;
    }
}
