package org.cvmagent.rootfs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * What a pod's owner hands the guest: an init-data document (CoCo's TOML, its entries as literal
 * strings) for {@code run-guest --initdata}, and the agent's shipped policies to put in it.
 */
final class GuestInitData {

    private GuestInitData() {
    }

    /** Writes an init-data document with {@code entries} (file name → content) to {@code file}. */
    static Path write(Path file, Map<String, String> entries) throws IOException {
        StringBuilder toml = new StringBuilder("algorithm = \"sha384\"\nversion = \"0.1.0\"\n\n[data]\n");
        for (Map.Entry<String, String> entry : entries.entrySet()) {
            if (entry.getValue().contains("'''")) {
                throw new IllegalArgumentException(entry.getKey() + " does not fit a TOML literal string");
            }
            toml.append('"').append(entry.getKey()).append("\" = '''\n").append(entry.getValue());
            if (!entry.getValue().endsWith("\n")) {
                toml.append('\n');
            }
            toml.append("'''\n");
        }
        return Files.writeString(file, toml);
    }

    /** A policy shipped in the agent's resources ({@code /policies/NAME}). */
    static String shippedPolicy(String name) throws IOException {
        try (InputStream in = GuestInitData.class.getResourceAsStream("/policies/" + name)) {
            if (in == null) {
                throw new IllegalStateException("policy " + name + " is not on the class path (agent jar)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
