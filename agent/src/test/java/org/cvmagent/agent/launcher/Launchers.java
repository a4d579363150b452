package org.cvmagent.agent.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The launchers of this checkout, {@code bin/cvm-agent} and {@code bin/cvm-agent-ctl}, started as
 * separate processes exactly as a user starts them: they run the packaged jar with
 * {@code agent/target/lib}, so a class missing from what is shipped fails here as it would for
 * the user. Failsafe runs these tests after the package phase and names the checkout.
 */
final class Launchers {

    /** What a finished command left: exit status and its two streams. */
    record Result(int status, String out, String err) {
        @Override
        public String toString() {
            return "exit " + status + "\n--- stdout:\n" + out + "--- stderr:\n" + err;
        }
    }

    private static final long CTL_TIMEOUT_SECONDS = 120;

    private final Path bin;
    private final Path work;

    private Launchers(Path bin, Path work) {
        this.bin = bin;
        this.work = work;
    }

    /** @param work where the commands' output files go */
    static Launchers ofCheckout(Path work) throws IOException {
        String root = System.getProperty("cvmagent.root");
        assertNotNull(root, "cvmagent.root is not set: run the *IT tests through failsafe (mvn verify)");
        Path checkout = Path.of(root).toRealPath();
        Path target = checkout.resolve("agent/target");
        try (Stream<Path> files = Files.list(target)) {
            assertTrue(files.anyMatch(f -> f.getFileName().toString().matches("agent-.*(?<!-tests)\\.jar")),
                    "no packaged agent jar in " + target + ": the package phase runs before these tests");
        }
        assertTrue(Files.isDirectory(target.resolve("lib")), "no " + target.resolve("lib"));
        return new Launchers(checkout.resolve("bin"), work);
    }

    /** Runs {@code bin/cvm-agent-ctl ARGS} to its end. */
    Result ctl(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(bin.resolve("cvm-agent-ctl").toString()));
        command.addAll(List.of(args));
        Path out = Files.createTempFile(work, "ctl", ".out");
        Path err = Files.createTempFile(work, "ctl", ".err");
        Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(CTL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("cvm-agent-ctl " + String.join(" ", args) + " did not finish in "
                    + CTL_TIMEOUT_SECONDS + " s: " + Files.readString(err));
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    /** Starts {@code bin/cvm-agent ARGS} with {@code env} added, its output (JSON log lines) going to {@code log}. */
    Process agent(Map<String, String> env, Path log, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(bin.resolve("cvm-agent").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(env);
        return builder.start();
    }
}
