package org.cvmagent.agent.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * The pod's DNS settings from CreateSandbox: kata's {@code dns} entries are whole resolv.conf lines
 * ({@code nameserver 10.96.0.10}, {@code search …}, {@code options …}), written to the sandbox's
 * resolv.conf, which the pod's containers get mounted.
 */
final class GuestDns {

    private final Path resolvConf;

    GuestDns(Path resolvConf) {
        this.resolvConf = resolvConf;
    }

    /** Writes the entries; none leaves the guest's DNS alone, as kata does. */
    void write(List<String> entries) throws IOException {
        if (entries.isEmpty()) {
            return;
        }
        StringBuilder text = new StringBuilder();
        for (String entry : entries) {
            if (entry.indexOf('\n') >= 0 || entry.indexOf('\r') >= 0 || entry.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("DNS entry holds a line break or NUL: " + entry.strip());
            }
            text.append(entry.strip()).append('\n');
        }
        Files.createDirectories(resolvConf.getParent());
        Path temporary = resolvConf.resolveSibling(resolvConf.getFileName() + ".new");
        Files.writeString(temporary, text);
        Files.move(temporary, resolvConf, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    Path file() {
        return resolvConf;
    }
}
