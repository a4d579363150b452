package org.cvmagent.agent.initdata;

import org.cvmagent.agent.policy.InitData;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * Writes verified init-data where kata-agent puts it, for CoCo tools that read it there:
 * {@code <run dir>/initdata/initdata.toml} (the exact bytes), {@code aa.toml}, {@code cdh.toml}
 * and {@code policy.rego}. Each file is written to a temporary name and renamed, so a reader never
 * sees half a file.
 */
public final class InitDataFiles {

    public static final String DIRECTORY = "initdata";

    private InitDataFiles() {
    }

    /** @return the directory written */
    public static Path write(Path runDir, MeasuredInitData initData) throws IOException {
        Path dir = runDir.resolve(DIRECTORY);
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        replace(dir.resolve("initdata.toml"), initData.toml());
        for (String entry : List.of("aa.toml", "cdh.toml", InitData.POLICY_ENTRY)) {
            Path file = dir.resolve(entry);
            if (initData.entry(entry).isPresent()) {
                replace(file, initData.entry(entry).get().getBytes(StandardCharsets.UTF_8));
            } else {
                Files.deleteIfExists(file);
            }
        }
        return dir;
    }

    private static void replace(Path file, byte[] content) throws IOException {
        Path temporary = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.write(temporary, content);
        Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
