package org.cvmagent.agent.fs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A host flipping a symbolic link between a directory inside the root and one outside while the
 * agent creates files through it: nothing may ever land outside.
 */
class SafePathRaceTest {

    private static final int ROUNDS = 1000;

    @TempDir
    Path dir;

    @Test
    void flippingSymlinkNeverRedirectsOutside() throws Exception {
        Path root = Files.createDirectory(dir.resolve("root"));
        Path outside = Files.createDirectory(dir.resolve("outside"));
        Files.createDirectory(root.resolve("inside"));
        // Make every target the link can take exist inside the root as well, so that writes
        // succeed whichever way the link points and the race is really exercised.
        Files.createDirectories(root.resolve(Path.of("/").relativize(outside)));
        Files.createDirectories(root.resolve("outside"));
        List<Path> targets = List.of(Path.of("inside"), outside, Path.of("../outside"));
        Path link = root.resolve("link");
        Files.createSymbolicLink(link, targets.getFirst());

        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> flipperFailure = new AtomicReference<>();
        Thread flipper = Thread.ofPlatform().name("symlink-flipper").start(() -> {
            Path next = root.resolve(".link-next");
            try {
                for (long i = 0; !stop.get(); i++) {
                    Files.deleteIfExists(next);
                    Files.createSymbolicLink(next, targets.get((int) (i % targets.size())));
                    Files.move(next, link, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                }
            } catch (Throwable t) {
                flipperFailure.set(t);
            }
        });

        int written = 0;
        int refused = 0;
        try (ConfinedRoot confined = ConfinedRoot.open(root)) {
            for (int i = 0; i < ROUNDS; i++) {
                try (OpenFd d = confined.mkdirs("link/d" + i, 0755);
                     OpenFd f = confined.openForWriting("/link/f" + i, 0644, true)) {
                    assertTrue(d.realPath().startsWith(root), d.realPath().toString());
                    assertTrue(f.realPath().startsWith(root), f.realPath().toString());
                    f.write(("round " + i).getBytes(StandardCharsets.UTF_8), 0);
                    written++;
                } catch (IOException e) {
                    // Expected when the link moved between mkdirs and the open of the file.
                    refused++;
                }
            }
        } finally {
            stop.set(true);
            flipper.join();
        }
        assertNull(flipperFailure.get(), "the flipper thread failed");
        try (Stream<Path> escaped = Files.list(outside)) {
            assertEquals(List.of(), escaped.toList(), "files were created outside the root");
        }
        assertTrue(written > ROUNDS / 2, "too few rounds got through to exercise the race: " + written
                + " written, " + refused + " refused");
    }
}
