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
 *
 * <p>{@link #openPersistent} is the persistent kind: a volume under a key from the owner's KBS,
 * formatted only when the disk is blank, otherwise opened from a copy of its header checked in guest
 * memory ({@link LuksHeader}).
 */
public final class LuksScratch {

    static final String CRYPTSETUP = "/usr/sbin/cryptsetup";
    static final String MKFS_EXT4 = "/usr/sbin/mkfs.ext4";
    private static final int KEY_BYTES = 64;
    /** No udev in the guest: libdevmapper makes the /dev/mapper nodes itself. */
    private static final List<String> ENV = List.of("PATH=/usr/sbin:/usr/bin:/sbin:/bin", "DM_DISABLE_UDEV=1");

    /** cryptsetup's exit code for "no key available with this passphrase". */
    static final int WRONG_KEY_EXIT = 2;
    /** A persistent volume's key: at most this long (cryptsetup reads up to 8 MiB; a key is small). */
    static final int MAX_PERSISTENT_KEY = 8192;

    /** Runs one command to completion; {@link CommandRunner#run} in the agent, a fake in tests. */
    @FunctionalInterface
    public interface Commands {
        CommandResult run(List<String> argv, List<String> env, Duration timeout) throws IOException;
    }

    /** A volume key that does not open the disk's LUKS2 header; nothing was written to the disk. */
    public static final class WrongKeyException extends IOException {
        private static final long serialVersionUID = 1L;

        WrongKeyException(String message) {
            super(message);
        }
    }

    private final Commands runner;
    private final Path keyDir;
    private final SecureRandom random;
    private final Duration timeout;
    private final AtomicLong counter = new AtomicLong();

    /**
     * @param keyDir  a directory on a tmpfs for the key file while cryptsetup reads it
     * @param timeout per command; formatting wipes the whole disk
     */
    public LuksScratch(CommandRunner runner, Path keyDir, SecureRandom random, Duration timeout) {
        this(runner::run, keyDir, random, timeout);
    }

    /** @param runner the commands, e.g. a fake that records them */
    public LuksScratch(Commands runner, Path keyDir, SecureRandom random, Duration timeout) {
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
            // PBKDF2 with few iterations: the key is random and dies with the boot
            run("luksFormat of " + device, luksFormat(device, keyFile, "--pbkdf-force-iterations", "1000"));
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
        makeFileSystem(volume);
        return volume;
    }

    /** ext4 on a freshly formatted volume; a failure closes the volume, so no mapping is left behind. */
    private void makeFileSystem(OpenVolume volume) throws IOException {
        try {
            run("mkfs.ext4 on " + volume.mapper(), List.of(MKFS_EXT4, "-q", "-F", "-E", "nodiscard",
                    volume.mapper().toString()));
        } catch (IOException e) {
            close(volume);
            throw e;
        }
    }

    /** What the requester expects on a persistent volume's disk; the disk itself decides. */
    public enum Expect {
        /** A blank disk is formatted; a LUKS2 disk is opened. */
        ANY,
        /** The disk must hold the volume: a blank disk is refused (the host may have wiped it), never formatted. */
        EXISTING
    }

    /** A persistent volume, open, and whether this call formatted it (then it has a fresh file system). */
    public record Persistent(OpenVolume volume, boolean formatted) {
    }

    /**
     * Opens a persistent volume under {@code key} (a KBS resource): a LUKS2 header at the start of
     * the disk is copied into guest memory, checked ({@link LuksHeader}) and opened from that copy
     * ({@code --header}), so what cryptsetup uses is what was checked, whatever the host writes to
     * the disk meanwhile. A disk whose first 16 MiB are all zero is blank: it is formatted as LUKS2
     * with integrity under the key (a full wipe, so every sector has a valid tag) and gets an ext4
     * file system. A disk that is neither is refused; a disk with a header is never reformatted.
     *
     * @throws LuksHeader.RefusedException the disk is not blank and its header is not one this agent
     *                                     would have written, or it is blank and {@code expect} says it
     *                                     must not be; the disk was not changed
     * @throws WrongKeyException           the key does not open the header; the disk was not changed
     * @throws IOException                 a command failed
     */
    public Persistent openPersistent(Path device, byte[] key, Expect expect) throws IOException {
        if (key.length == 0 || key.length > MAX_PERSISTENT_KEY) {
            throw new LuksHeader.RefusedException("the volume key is " + key.length + " bytes (1.." + MAX_PERSISTENT_KEY
                    + " are taken)");
        }
        String name = "cvm-volume-" + ProcessHandle.current().pid() + "-" + counter.incrementAndGet();
        byte[] area = readArea(device);
        boolean formatted = false;
        if (LuksHeader.blank(area)) {
            if (expect == Expect.EXISTING) {
                throw new LuksHeader.RefusedException(device + " is blank (its first 16 MiB are zero), but the "
                        + "request says it holds an encrypted volume: it was not formatted");
            }
            Path keyFile = writeKey(name, key);
            try {
                run("luksFormat of " + device, luksFormat(device, keyFile, "--iter-time", "1000"));
            } finally {
                Files.deleteIfExists(keyFile);
            }
            formatted = true;
            area = readArea(device);
        } else if (!LuksHeader.hasMagic(area)) {
            throw new LuksHeader.RefusedException(device + " is neither blank nor LUKS2 (its first 16 MiB hold data "
                    + "but no LUKS header): it was not changed");
        }
        LuksHeader header;
        try {
            header = LuksHeader.check(area);
        } catch (LuksHeader.RefusedException e) {
            throw new LuksHeader.RefusedException(device + ": " + e.getMessage() + "; the disk was not changed");
        }
        Path headerFile = writeSecret(name + ".header", header.sanitized());
        Path keyFile = writeKey(name, key);
        try {
            CommandResult result = runner.run(List.of(CRYPTSETUP, "open", "--type", "luks2", "--header",
                    headerFile.toString(), "--key-file", keyFile.toString(), device.toString(), name), ENV, timeout);
            if (result.status().exitCode() == WRONG_KEY_EXIT && result.status().signal() == 0) {
                throw new WrongKeyException("the volume key does not open the LUKS2 volume on " + device
                        + "; the disk was not changed");
            }
            if (!result.succeeded()) {
                throw new IOException("opening " + device + " failed (" + result.status() + "): "
                        + result.stderrText().strip());
            }
        } finally {
            Files.deleteIfExists(keyFile);
            Files.deleteIfExists(headerFile);
        }
        OpenVolume volume = new OpenVolume(name, Path.of("/dev/mapper", name));
        if (formatted) {
            makeFileSystem(volume);
        }
        return new Persistent(volume, formatted);
    }

    /** The first {@link LuksHeader#AREA} bytes of the disk, into guest memory. */
    static byte[] readArea(Path device) throws IOException {
        byte[] area = new byte[LuksHeader.AREA];
        try (FileChannel in = FileChannel.open(device, StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.wrap(area);
            while (buffer.hasRemaining()) {
                if (in.read(buffer) < 0) {
                    throw new LuksHeader.RefusedException(device + " is smaller than " + LuksHeader.AREA
                            + " bytes, LUKS2's header area");
                }
            }
        }
        return area;
    }

    /** Closes the device: its key leaves the kernel, and the disk is ciphertext only. */
    public void close(OpenVolume volume) throws IOException {
        run("closing " + volume.name(), List.of(CRYPTSETUP, "close", volume.name()));
    }

    /**
     * LUKS2 with authenticated encryption (AES-XTS and an HMAC-SHA256 tag per sector in
     * dm-integrity), the key slot under PBKDF2 with {@code pbkdfCost} (an iteration option).
     */
    private static List<String> luksFormat(Path device, Path keyFile, String pbkdfCostOption, String pbkdfCost) {
        return List.of(CRYPTSETUP, "luksFormat", "--type", "luks2", "--batch-mode",
                "--cipher", "aes-xts-plain64", "--key-size", "512", "--integrity", "hmac-sha256",
                "--pbkdf", "pbkdf2", pbkdfCostOption, pbkdfCost, "--key-file", keyFile.toString(), device.toString());
    }

    private Path writeKey(String name, byte[] key) throws IOException {
        return writeSecret(name + ".key", key);
    }

    private Path writeSecret(String fileName, byte[] key) throws IOException {
        Files.createDirectories(keyDir);
        Path file = keyDir.resolve(fileName);
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
