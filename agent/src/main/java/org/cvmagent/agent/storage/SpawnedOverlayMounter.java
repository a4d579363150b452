package org.cvmagent.agent.storage;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.cvmagent.agent.process.CommandResult;
import org.cvmagent.agent.process.CommandRunner;
import org.cvmagent.agent.process.SpawnSpec;

/**
 * The image service's overlay mounts, run as mount(8)/umount(8) through the agent's one spawner,
 * so the agent's reaper (not the JDK) collects them, as every child of the agent.
 */
public final class SpawnedOverlayMounter implements org.cvmagent.image.bundle.Mounter {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final CommandRunner commands;

    public SpawnedOverlayMounter(CommandRunner commands) {
        this.commands = commands;
    }

    @Override
    public void mountOverlay(String options, Path target) throws IOException {
        run(List.of("mount", "-t", "overlay", "overlay", "-o", options, target.toString()));
    }

    @Override
    public void unmount(Path target) throws IOException {
        run(List.of("umount", target.toString()));
    }

    private void run(List<String> argv) throws IOException {
        CommandResult r = commands.run(argv, List.of("PATH=" + SpawnSpec.DEFAULT_PATH), TIMEOUT);
        if (!r.succeeded()) {
            throw new IOException(String.join(" ", argv.subList(0, 2)) + " failed (" + r.status() + "): "
                    + r.stderrText().strip());
        }
    }
}
