package org.cvmagent.rootfs;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The root disk is a dm-verity device (issue 18): the host edits the disk image before boot — a
 * byte of a file the guest runs, or of the hash tree — and boots it with the image's root hash on
 * the kernel command line (as the TEE measured it). The guest must stop at the first tampered block,
 * with the kernel's verity line on the console, and never start the agent.
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class GuestVerityTest {

    private static final Duration STOP_TIMEOUT = Duration.ofMinutes(3);
    private static final Pattern OFFSET = Pattern.compile("cvm\\.verity_hash_offset=(\\d+)");
    /** dump.erofs -e: "   0:        0..    4899 |    4899 :    1626112..   1630208 |    4096". */
    private static final Pattern FIRST_EXTENT =
            Pattern.compile("(?m)^\\s*0:\\s*\\d+\\.\\.\\s*\\d+\\s*\\|\\s*\\d+\\s*:\\s*(\\d+)\\.\\.");
    private static GuestImage image;

    @TempDir
    Path dir;

    @BeforeAll
    static void build(@TempDir Path logs) throws Exception {
        image = GuestImage.ofCheckout();
        image.build(logs.resolve("build.log"));
    }

    private Path testImage() {
        return image.root().resolve("rootfs/target/rootfs-test.img");
    }

    @Test
    void aFlippedByteInAFileTheGuestRunsStopsItBeforeTheAgent() throws Exception {
        Path tampered = Files.copy(testImage(), dir.resolve("tampered.img"));
        // /init on the root disk, which the initrd's switch_root executes: a byte of its first
        // (compressed) extent, where dump.erofs says the file system keeps it.
        String extents = command("dump.erofs", "-e", "--path=/init", tampered.toString());
        Matcher first = FIRST_EXTENT.matcher(extents);
        assertTrue(first.find(), "no extent of /init in:\n" + extents);
        flip(tampered, Long.parseLong(first.group(1)) + 100);
        assertStopsWithoutServing(tampered);
    }

    @Test
    void aFlippedByteInTheHashTreeStopsTheGuestBeforeTheAgent() throws Exception {
        Path tampered = Files.copy(testImage(), dir.resolve("tampered-tree.img"));
        String verity = Files.readString(image.root().resolve("rootfs/target/rootfs-test.img.verity"));
        Matcher offset = OFFSET.matcher(verity);
        assertTrue(offset.find(), verity);
        // the block after the verity superblock: the top level of the tree, which every read checks
        flip(tampered, Long.parseLong(offset.group(1)) + 4096 + 7);
        assertStopsWithoutServing(tampered);
    }

    private void assertStopsWithoutServing(Path rootDisk) throws Exception {
        try (Guest guest = Guest.boot(image, dir, List.of("--root-disk", rootDisk.toString()), List.of())) {
            if (!guest.awaitExit(STOP_TIMEOUT)) {
                fail("the guest kept running on a tampered root disk:\n" + guest.console());
            }
            String console = guest.console();
            assertTrue(console.contains("device-mapper: verity") && console.contains("corrupted"),
                    "the kernel's dm-verity line on the console:\n" + console);
            assertFalse(console.contains("serving ttrpc"), "the agent served from a tampered disk:\n" + console);
        }
    }

    private static void flip(Path file, long offset) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            int b = f.read();
            f.seek(offset);
            f.write(b ^ 0x01);
        }
    }

    private static String command(String... args) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(args).redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", args) + " failed: " + out
                    + new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        }
        return out;
    }
}
