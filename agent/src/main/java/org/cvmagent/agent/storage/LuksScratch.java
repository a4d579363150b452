package org.cvmagent.agent.storage;

import org.cvmagent.agent.process.CommandResult;
import org.cvmagent.agent.process.CommandRunner;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Encrypted, integrity-protected scratch space on a disk the host provides (kata's block-encrypted
 * emptyDir, driver option {@code encryption_key=ephemeral}): the disk is formatted as LUKS2 with
 * dm-integrity (AES-XTS under a 512-bit key plus HMAC-SHA256 per sector: authenticated
 * encryption), under a key made fresh from the guest's random generator for this mount and never
 * stored beyond it, then gets an ext4 file system. The host sees only ciphertext, and any sector it
 * modifies reads as an I/O error.
 *
 * <p>cryptsetup reads the key from a file on the agent's state tmpfs (guest memory, mode 0600),
 * which is removed as soon as the device is open. PBKDF2 with few iterations is enough: the key is
 * 64 random bytes, not a passphrase, and Argon2's default gigabyte would not fit a small guest. The
 * device is wiped on format (cryptsetup's default with --integrity), so every sector has a valid tag
 * before the file system is made.
 */
public final class LuksScratch {

    static final String CRYPTSETUP = "/usr/sbin/cryptsetup";
    static final String MKFS_EXT4 = "/usr/sbin/mkfs.ext4";
    private static final int KEY_BYTES = 64;
    /** No udev in the guest: libdevmapper makes the /dev/mapper nodes itself. */
    private static final List<String> ENV = List.of("PATH=/usr/sbin:/usr/bin:/sbin:/bin", "DM_DISABLE_UDEV=1");

    private final CommandRunner runner;
    private final Path keyDir;
    private final SecureRandom random;
    private final Duration timeout;
    private final AtomicLong counter = new AtomicLong();

    /**
     * @param keyDir  a directory on a tmpfs for the key file while cryptsetup reads it
     * @param timeout per command; formatting wipes the whole disk
     */
    public LuksScratch(CommandRunner runner, Path keyDir, SecureRandom random, Duration timeout) {
        this.runner = runner;
        this.keyDir = keyDir;
        this.random = random;
        this.timeout = timeout;
    }

    /** An open LUKS2 device and how to close it. */
    public record OpenVolume(String name, Path mapper) {
    }

    /**
     * Formats {@code device} as LUKS2 with integrity under a fresh key, opens it and makes an ext4
     * file system on it; the old content is gone.
     */
    public OpenVolume formatEphemeral(Path device) throws IOException {
        String name = "cvm-scratch-" + ProcessHandle.current().pid() + "-" + counter.incrementAndGet();
        byte[] key = new byte[KEY_BYTES];
        random.nextBytes(key);
        Path keyFile = writeKey(name, key);
        try {
            run("luksFormat of " + device, List.of(CRYPTSETUP, "luksFormat", "--type", "luks2", "--batch-mode",
                    "--cipher", "aes-xts-plain64", "--key-size", "512", "--integrity", "hmac-sha256",
                    "--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000", "--key-file", keyFile.toString(),
                    device.toString()));
            // No dm-integrity journal: it only makes a data sector and its tag change together across
            // a crash, worthless when the key dies with the boot; without it every write lands in place
            // once (half the writes), and every read comes from the disk, so a sector the host changed
            // fails at the next read instead of being served from the journal's copy in guest memory.
            run("opening " + device, List.of(CRYPTSETUP, "open", "--type", "luks2", "--integrity-no-journal",
                    "--key-file", keyFile.toString(), device.toString(), name));
        } finally {
            Arrays.fill(key, (byte) 0);
            Files.deleteIfExists(keyFile);
        }
        OpenVolume volume = new OpenVolume(name, Path.of("/dev/mapper", name));
        try {
            run("mkfs.ext4 on " + volume.mapper(), List.of(MKFS_EXT4, "-q", "-F", "-E", "nodiscard",
                    volume.mapper().toString()));
        } catch (IOException e) {
            close(volume);
            throw e;
        }
        return volume;
    }

    /** Closes the device: its key leaves the kernel, and the disk is ciphertext only. */
    public void close(OpenVolume volume) throws IOException {
        run("closing " + volume.name(), List.of(CRYPTSETUP, "close", volume.name()));
    }

    private Path writeKey(String name, byte[] key) throws IOException {
        Files.createDirectories(keyDir);
        Path file = keyDir.resolve(name + ".key");
        try (FileChannel out = FileChannel.open(file, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            out.write(ByteBuffer.wrap(key));
        }
        return file;
    }

    private void run(String what, List<String> argv) throws IOException {
        CommandResult result = runner.run(argv, ENV, timeout);
        if (!result.succeeded()) {
            throw new IOException(what + " failed (" + result.status() + "): " + result.stderrText().strip());
        }
    }
}
