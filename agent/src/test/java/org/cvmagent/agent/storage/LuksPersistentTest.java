package org.cvmagent.agent.storage;

import org.cvmagent.agent.process.CommandResult;
import org.cvmagent.agent.process.ExitStatus;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The persistent volume's decisions with a fake cryptsetup: format only a blank disk, open from the
 * checked copy of the header, never touch a disk that does not fit, report a wrong key.
 */
class LuksPersistentTest {

    private static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;
    private Path disk;
    private Path keys;
    private final List<List<String>> commands = new ArrayList<>();
    private final List<byte[]> headersSeen = new ArrayList<>();
    private int openExit;

    @BeforeEach
    void disk() throws IOException {
        disk = dir.resolve("disk.img");
        keys = dir.resolve("keys");
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.setLength(32L * 1024 * 1024);
        }
    }

    /** cryptsetup and mkfs as far as these decisions go: luksFormat writes a header, open reads its files. */
    private LuksScratch luks() {
        return new LuksScratch((argv, env, timeout) -> {
            commands.add(argv);
            int exit = 0;
            if (argv.contains("luksFormat")) {
                assertArrayEquals(KEY, Files.readAllBytes(Path.of(argv.get(argv.indexOf("--key-file") + 1))));
                try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
                    f.write(LuksHeaders.area());
                }
            } else if (argv.contains("open")) {
                Path header = Path.of(argv.get(argv.indexOf("--header") + 1));
                Path keyFile = Path.of(argv.get(argv.indexOf("--key-file") + 1));
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(header)));
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile)));
                assertTrue(header.startsWith(keys) && keyFile.startsWith(keys), "secrets on the agent's key tmpfs");
                headersSeen.add(Files.readAllBytes(header));
                exit = openExit;
            }
            return new CommandResult(argv, new ExitStatus(exit, 0), new byte[0],
                    (exit == 2 ? "No key available with this passphrase." : "").getBytes(StandardCharsets.US_ASCII),
                    false, false);
        }, keys, new SecureRandom(), Duration.ofSeconds(5));
    }

    private static List<String> verbs(List<List<String>> commands) {
        return commands.stream().map(c -> c.get(0).endsWith("cryptsetup") ? c.get(1) : Path.of(c.get(0))
                .getFileName().toString()).toList();
    }

    private String hash() throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(disk)));
    }

    @Test
    void aBlankDiskIsFormattedOpenedFromTheCheckedCopyAndGetsAFileSystem() throws Exception {
        LuksScratch.Persistent p = luks().openPersistent(disk, KEY.clone(), LuksScratch.Expect.ANY);
        assertTrue(p.formatted());
        assertEquals(List.of("luksFormat", "open", "mkfs.ext4"), verbs(commands));
        List<String> format = commands.get(0);
        assertTrue(format.containsAll(List.of("--type", "luks2", "aes-xts-plain64", "--integrity", "hmac-sha256")),
                format.toString());
        List<String> open = commands.get(1);
        assertEquals(disk.toString(), open.get(open.size() - 2), "the data comes from the disk");
        assertFalse(open.contains("--integrity-no-journal"), "a persistent volume keeps dm-integrity's journal");
        assertArrayEquals(LuksHeader.check(LuksHeaders.area()).sanitized(), headersSeen.get(0),
                "cryptsetup opens the checked copy");
        assertEquals(p.volume().mapper(), Path.of(commands.get(2).get(commands.get(2).size() - 1)));
        try (var left = Files.list(keys)) {
            assertEquals(0, left.count(), "key and header files are removed");
        }
    }

    @Test
    void aDiskWithAHeaderIsOpenedNeverReformatted() throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.write(LuksHeaders.area());
        }
        for (LuksScratch.Expect expect : LuksScratch.Expect.values()) {
            commands.clear();
            LuksScratch.Persistent p = luks().openPersistent(disk, KEY.clone(), expect);
            assertFalse(p.formatted());
            assertEquals(List.of("open"), verbs(commands), expect.toString());
        }
    }

    @Test
    void theHostSwappingTheHeaderAfterTheCheckChangesNothingCryptsetupSees() throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.write(LuksHeaders.area());
        }
        LuksScratch luks = new LuksScratch((argv, env, timeout) -> {
            commands.add(argv);
            if (argv.contains("open")) {
                // the host rewrites the disk's header the moment cryptsetup starts
                try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
                    f.write(LuksHeaders.area(m -> ((com.fasterxml.jackson.databind.node.ObjectNode) m.path("segments")
                            .path("0")).remove("integrity")));
                }
                headersSeen.add(Files.readAllBytes(Path.of(argv.get(argv.indexOf("--header") + 1))));
            }
            return new CommandResult(argv, new ExitStatus(0, 0), new byte[0], new byte[0], false, false);
        }, keys, new SecureRandom(), Duration.ofSeconds(5));
        luks.openPersistent(disk, KEY.clone(), LuksScratch.Expect.ANY);
        assertArrayEquals(LuksHeader.check(LuksHeaders.area()).sanitized(), headersSeen.get(0));
    }

    @Test
    void aWrongKeyIsReportedAndTheDiskIsUnchanged() throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.write(LuksHeaders.area());
        }
        String before = hash();
        openExit = 2;
        LuksScratch.WrongKeyException e = assertThrows(LuksScratch.WrongKeyException.class,
                () -> luks().openPersistent(disk, KEY.clone(), LuksScratch.Expect.ANY));
        assertTrue(e.getMessage().contains("the disk was not changed"), e.getMessage());
        assertEquals(List.of("open"), verbs(commands));
        assertEquals(before, hash());
    }

    @Test
    void disksThatDoNotFitAreLeftAlone() throws Exception {
        // blank, but the request says the volume is there: the host may have wiped it
        LuksHeader.RefusedException wiped = assertThrows(LuksHeader.RefusedException.class,
                () -> luks().openPersistent(disk, KEY.clone(), LuksScratch.Expect.EXISTING));
        assertTrue(wiped.getMessage().contains("not formatted"), wiped.getMessage());
        // data but no LUKS header
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.seek(1024);
            f.write("an ext4 superblock, say".getBytes(StandardCharsets.US_ASCII));
        }
        String before = hash();
        assertTrue(assertThrows(LuksHeader.RefusedException.class, () -> luks().openPersistent(disk, KEY.clone(),
                LuksScratch.Expect.ANY)).getMessage().contains("neither blank nor LUKS2"));
        // a LUKS2 header without integrity
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.write(LuksHeaders.area(m -> ((com.fasterxml.jackson.databind.node.ObjectNode) m.path("segments")
                    .path("0")).remove("integrity")));
        }
        String weak = hash();
        String message = assertThrows(LuksHeader.RefusedException.class, () -> luks().openPersistent(disk, KEY.clone(),
                LuksScratch.Expect.ANY)).getMessage();
        assertTrue(message.contains("integrity") && message.contains("not changed"), message);
        assertEquals(weak, hash());
        assertTrue(commands.isEmpty(), "no command ran: " + commands);
        assertFalse(before.equals(weak));
        // keys: empty and huge
        assertThrows(LuksHeader.RefusedException.class, () -> luks().openPersistent(disk, new byte[0],
                LuksScratch.Expect.ANY));
        assertThrows(LuksHeader.RefusedException.class, () -> luks().openPersistent(disk, new byte[9000],
                LuksScratch.Expect.ANY));
        // too small to hold a header
        Path tiny = dir.resolve("tiny.img");
        Files.write(tiny, new byte[4096]);
        assertTrue(assertThrows(LuksHeader.RefusedException.class, () -> luks().openPersistent(tiny, KEY.clone(),
                LuksScratch.Expect.ANY)).getMessage().contains("smaller"));
        assertTrue(Arrays.equals(KEY, "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII)));
    }
}
