package org.cvmagent.image.bundle;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * mount(8)/umount(8) as plain JDK child processes: for tools and tests. Not for use inside the agent,
 * whose one reaper collects every child (the JDK would race it for the exit status).
 */
final class CommandMounter implements Mounter {
    private static final long TIMEOUT_SECONDS = 30;

    @Override
    public void mountOverlay(String options, Path target) throws IOException {
        run(List.of("mount", "-t", "overlay", "overlay", "-o", options, target.toString()));
    }

    @Override
    public void unmount(Path target) throws IOException {
        run(List.of("umount", target.toString()));
    }

    private static void run(List<String> cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(cmd.getFirst() + " timed out");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted during " + cmd.getFirst(), e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd.subList(0, 2)) + " failed (" + p.exitValue() + "): " + out);
        }
    }
}
