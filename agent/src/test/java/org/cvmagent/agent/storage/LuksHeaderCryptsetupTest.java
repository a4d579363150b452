package org.cvmagent.agent.storage;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cvmagent.agent.process.CommandResult;
import org.cvmagent.agent.process.CommandRunner;
import org.cvmagent.agent.process.PosixSpawner;
import org.cvmagent.agent.process.Reaper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link LuksHeader} against headers Debian's cryptsetup writes (no device-mapper needed: a header
 * without integrity is formatted on a plain file, and integrity is then added to its metadata with
 * the checksums redone, as a host could): the checksums are read right, and the sanitized copy is
 * what cryptsetup opens with {@code --header}: the right key unlocks it, a wrong one is exit 2.
 */
class LuksHeaderCryptsetupTest {

    private static final List<String> ENV = List.of("PATH=/usr/sbin:/usr/bin:/sbin:/bin");

    @TempDir
    Path dir;
    private Reaper reaper;
    private CommandRunner runner;

    @BeforeEach
    void start() {
        reaper = Reaper.start();
        runner = new CommandRunner(new PosixSpawner(reaper));
    }

    @AfterEach
    void stop() throws Exception {
        reaper.close();
    }

    private CommandResult cryptsetup(String... args) throws Exception {
        List<String> argv = new java.util.ArrayList<>(List.of(LuksScratch.CRYPTSETUP));
        argv.addAll(List.of(args));
        return runner.run(argv, ENV, Duration.ofMinutes(1));
    }

    @Test
    void aRealHeaderIsReadAndItsCheckedCopyOpensWithTheKeyOnly() throws Exception {
        Path disk = dir.resolve("disk.img");
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.setLength(32L * 1024 * 1024);
        }
        Path key = dir.resolve("key");
        Files.write(key, "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
        Path wrong = dir.resolve("wrong");
        Files.write(wrong, "fedcba9876543210fedcba9876543210".getBytes(StandardCharsets.US_ASCII));
        CommandResult format = cryptsetup("luksFormat", "--type", "luks2", "--batch-mode", "--cipher",
                "aes-xts-plain64", "--key-size", "512", "--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000",
                "--key-file", key.toString(), disk.toString());
        assertTrue(format.succeeded(), format.stderrText());

        byte[] area = LuksScratch.readArea(disk);
        String message = assertThrows(LuksHeader.RefusedException.class, () -> LuksHeader.check(area)).getMessage();
        assertTrue(message.contains("integrity \"\""), "refused for the missing integrity, after the checksums: "
                + message);

        // integrity added to both headers' metadata, checksums redone: now it passes
        addIntegrity(area, 0);
        addIntegrity(area, headerSize(area));
        LuksHeader header = LuksHeader.check(area);
        assertEquals(16L * 1024 * 1024, header.dataOffset());
        Path copy = dir.resolve("header");
        Files.write(copy, header.sanitized());
        CommandResult right = cryptsetup("open", "--test-passphrase", "--type", "luks2", "--header", copy.toString(),
                "--key-file", key.toString(), disk.toString());
        assertEquals(0, right.status().exitCode(), right.stderrText());
        CommandResult refused = cryptsetup("open", "--test-passphrase", "--type", "luks2", "--header",
                copy.toString(), "--key-file", wrong.toString(), disk.toString());
        assertEquals(LuksScratch.WRONG_KEY_EXIT, refused.status().exitCode(), refused.stderrText());
    }

    private static int headerSize(byte[] area) {
        return (int) java.nio.ByteBuffer.wrap(area, 8, 8).getLong();
    }

    /** What a host could do to a header: change its metadata and redo the (unkeyed) checksum. */
    private static void addIntegrity(byte[] area, int at) throws Exception {
        int size = headerSize(area);
        int end = at + 4096;
        while (area[end] != 0) {
            end++;
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode meta = (ObjectNode) json.readTree(new String(area, at + 4096, end - at - 4096, StandardCharsets.UTF_8));
        ((ObjectNode) meta.path("segments").path("0")).putObject("integrity").put("type", "hmac(sha256)")
                .put("journal_encryption", "none").put("journal_integrity", "none");
        byte[] text = json.writeValueAsBytes(meta);
        Arrays.fill(area, at + 4096, at + size, (byte) 0);
        System.arraycopy(text, 0, area, at + 4096, text.length);
        Arrays.fill(area, at + 448, at + 448 + 64, (byte) 0);
        byte[] sum = MessageDigest.getInstance("SHA-256").digest(Arrays.copyOfRange(area, at, at + size));
        System.arraycopy(sum, 0, area, at + 448, sum.length);
    }
}
