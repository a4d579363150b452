package org.cvmagent.agent.storage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Finds a whole disk by {@code MAJ:MIN} or {@code /dev/NAME} through sysfs and says whether the guest
 * already uses it, before it is formatted or opened as an encrypted volume: a disk held by another
 * device (the dm-verity root disk is held by its mapping), mounted, a device-mapper or loop device, or
 * a partition is refused. sysfs, /dev and mountinfo are configurable for tests.
 */
public final class DiskUse {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private final Path sysfs;
    private final Path dev;
    private final Path mountinfo;

    public DiskUse(Path sysfs, Path dev, Path mountinfo) {
        this.sysfs = sysfs;
        this.dev = dev;
        this.mountinfo = mountinfo;
    }

    public static DiskUse system() {
        return new DiskUse(Path.of("/sys"), Path.of("/dev"), Path.of("/proc/self/mountinfo"));
    }

    /** Why a disk may not be used, or where it is. */
    public static final class RefusedException extends Exception {
        private static final long serialVersionUID = 1L;

        RefusedException(String message) {
            super(message);
        }
    }

    /** The name (e.g. {@code vdb}) of the block device {@code MAJ:MIN}. */
    public String nameOf(String deviceId) throws RefusedException, IOException {
        Path uevent = sysfs.resolve("dev/block").resolve(deviceId).resolve("uevent");
        List<String> lines;
        try {
            lines = Files.readAllLines(uevent, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw new RefusedException("no block device " + deviceId + " in this guest");
        }
        for (String line : lines) {
            if (line.startsWith("DEVNAME=")) {
                String name = line.substring("DEVNAME=".length());
                if (!NAME.matcher(name).matches()) {
                    throw new RefusedException("block device " + deviceId + " is not a disk directly in /dev");
                }
                return name;
            }
        }
        throw new RefusedException("block device " + deviceId + " has no name");
    }

    /**
     * The node {@code /dev/NAME} of a whole disk nobody uses.
     *
     * @throws RefusedException naming why it may not be used
     */
    public Path unusedDisk(String name) throws RefusedException, IOException {
        if (!NAME.matcher(name).matches()) {
            throw new RefusedException("\"" + name + "\" is not a device name");
        }
        Path block = sysfs.resolve("class/block").resolve(name);
        if (!Files.isDirectory(block)) {
            throw new RefusedException("no block device /dev/" + name + " in this guest");
        }
        if (name.startsWith("dm-") || name.startsWith("loop") || name.startsWith("ram")) {
            throw new RefusedException("/dev/" + name + " is the guest's own device, not a disk of the host");
        }
        if (Files.exists(block.resolve("partition"))) {
            throw new RefusedException("/dev/" + name + " is a partition; whole disks only");
        }
        List<String> holders = names(block.resolve("holders"));
        if (!holders.isEmpty()) {
            throw new RefusedException("/dev/" + name + " is in use by " + holders);
        }
        for (String child : names(block)) {
            if (child.startsWith(name) && Files.exists(block.resolve(child).resolve("partition"))) {
                throw new RefusedException("/dev/" + name + " has partitions (" + child + ")");
            }
        }
        Optional<String> majMin = read(block.resolve("dev"));
        if (majMin.isPresent() && mounted(majMin.get())) {
            throw new RefusedException("/dev/" + name + " is mounted");
        }
        Path node = dev.resolve(name);
        if (!Files.exists(node)) {
            throw new RefusedException("no node /dev/" + name);
        }
        return node;
    }

    private boolean mounted(String majMin) throws IOException {
        try {
            for (String line : Files.readAllLines(mountinfo, StandardCharsets.UTF_8)) {
                String[] fields = line.split(" ");
                if (fields.length > 2 && fields[2].equals(majMin)) {
                    return true;
                }
            }
        } catch (NoSuchFileException e) {
            return false;
        }
        return false;
    }

    private static Optional<String> read(Path file) throws IOException {
        try {
            return Optional.of(Files.readString(file, StandardCharsets.US_ASCII).strip());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    private static List<String> names(Path dir) throws IOException {
        List<String> names = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return names;
        }
        try (DirectoryStream<Path> each = Files.newDirectoryStream(dir)) {
            for (Path p : each) {
                names.add(p.getFileName().toString());
            }
        }
        names.sort(null);
        return names;
    }
}
