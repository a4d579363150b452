package org.cvmagent.agent.sandbox;

import org.cvmagent.agent.fs.ConfinedRoot;
import org.cvmagent.agent.fs.OpenFd;
import org.cvmagent.agent.fs.RefusedPathException;
import org.cvmagent.rpc.RpcException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Reads a container's termination message for GetDiagnosticData: the start of a regular file
 * under the sandbox root, with no symbolic link anywhere on its path. The host shares that tree
 * and can swap a directory for a link at any moment, so the path is never checked and then
 * opened by name: the kernel resolves it once, confined to the root
 * ({@link ConfinedRoot#openRegularForReading}), and the file is read from that descriptor.
 */
final class TerminationLogReader {

    private final Path root;
    private final int maxBytes;

    /** @param root the sandbox root, a directory of the agent's own (its path is trusted) */
    TerminationLogReader(Path root, int maxBytes) {
        this.root = root;
        this.maxBytes = maxBytes;
    }

    /**
     * @param source the host-supplied path of the file (a mount source of the container's spec)
     * @throws RpcException INVALID_ARGUMENT when the path is outside the root, has a symbolic link
     *         or names no regular file
     */
    String read(String id, String source) throws RpcException, IOException {
        Path file = Path.of(source).normalize();
        if (!file.isAbsolute() || !file.startsWith(root) || file.equals(root)) {
            throw RpcException.invalidArgument("container " + id + ": termination log source " + source
                    + " is not a file under " + root);
        }
        try (ConfinedRoot confined = ConfinedRoot.open(root);
             OpenFd log = confined.openRegularForReading(root.relativize(file).toString())) {
            return new String(log.readUpTo(maxBytes), StandardCharsets.UTF_8);
        } catch (RefusedPathException e) {
            throw RpcException.invalidArgument("container " + id + ": termination log source refused: "
                    + e.getMessage());
        }
    }
}
