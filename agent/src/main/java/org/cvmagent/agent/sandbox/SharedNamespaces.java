package org.cvmagent.agent.sandbox;

import org.cvmagent.agent.process.CommandResult;
import org.cvmagent.agent.process.CommandRunner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The sandbox's persistent IPC and UTS namespaces that every container joins, as kata keeps them:
 * created once, held by bind mounts of their nsfs files under the sandbox directory, the pod's
 * hostname set inside the UTS one. {@code unshare --ipc=FILE --uts=FILE} (util-linux or busybox)
 * does exactly this in a short-lived child, which keeps namespace changes out of the agent's own
 * threads.
 */
final class SharedNamespaces {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final CommandRunner commands;
    private final Path ipcFile;
    private final Path utsFile;
    private boolean created;

    SharedNamespaces(CommandRunner commands, Path ipcFile, Path utsFile) {
        this.commands = commands;
        this.ipcFile = ipcFile;
        this.utsFile = utsFile;
    }

    /** Creates both namespaces with {@code hostname} (empty: the guest's) in the UTS one. */
    synchronized void create(String hostname) throws IOException {
        if (created) {
            throw new IllegalStateException("the sandbox's namespaces already exist");
        }
        Files.createDirectories(ipcFile.getParent());
        for (Path file : List.of(ipcFile, utsFile)) {
            if (!Files.exists(file)) {
                Files.createFile(file);
            }
        }
        List<String> argv = new ArrayList<>(List.of("unshare", "--ipc=" + ipcFile, "--uts=" + utsFile));
        if (hostname.isEmpty()) {
            argv.add("true");
        } else {
            argv.addAll(List.of("hostname", hostname));
        }
        CommandResult result = commands.run(argv, List.of(), TIMEOUT);
        if (!result.succeeded()) {
            throw new IOException("creating the sandbox's IPC and UTS namespaces failed (" + result.status()
                    + "): " + result.stderrText().trim());
        }
        created = true;
    }

    synchronized Optional<Path> ipc() {
        return created ? Optional.of(ipcFile) : Optional.empty();
    }

    synchronized Optional<Path> uts() {
        return created ? Optional.of(utsFile) : Optional.empty();
    }

    /** Drops the bind mounts, which ends the namespaces once no container uses them. */
    synchronized void destroy() throws IOException {
        if (!created) {
            return;
        }
        List<String> failures = new ArrayList<>();
        for (Path file : List.of(ipcFile, utsFile)) {
            CommandResult result = commands.run(List.of("umount", file.toString()), List.of(), TIMEOUT);
            if (!result.succeeded()) {
                failures.add(file + ": " + result.stderrText().trim());
            }
            Files.deleteIfExists(file);
        }
        created = false;
        if (!failures.isEmpty()) {
            throw new IOException("unmounting the sandbox's namespaces failed: " + String.join("; ", failures));
        }
    }
}
