package org.cvmagent.agent.storage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Finds the device node of a block device the host hot-plugged, from the address the host gives in
 * {@code Storage.source}, the way kata's device handlers do: a virtio-blk PCI path
 * ({@code 02/01}, or {@code 20/00/02} under a NUMA pxb-pcie root complex) walked through the PCI
 * bridges in sysfs, a SCSI address {@code target:lun} after a bus scan, or an mmio device name.
 *
 * <p>Kata waits for the kernel's uevent; this class polls sysfs instead until the device and its
 * node are there or the timeout passes. The sysfs and /dev roots are configurable for tests.
 * Only the x86_64/s390x/ppc64le root bus layout ({@code /devices/pci0000:RC}) is known here.
 */
public final class BlockDevices {

    /** Kata's default hot-plug wait (its {@code hotplug_timeout}). */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(3);
    private static final Duration POLL = Duration.ofMillis(20);
    private static final int S_IFMT = 0170000;
    private static final int S_IFBLK = 0060000;
    /** Kata's PXB_PCIE_ROOT_BUS_MIN: a first segment at least this is a pxb-pcie root complex. */
    private static final int PXB_PCIE_ROOT_BUS_MIN = 0x20;

    private final Path sysfs;
    private final Path dev;
    private final Duration timeout;

    public BlockDevices(Path sysfs, Path dev, Duration timeout) {
        this.sysfs = sysfs;
        this.dev = dev;
        this.timeout = timeout;
    }

    /** The real /sys and /dev with kata's default wait. */
    public static BlockDevices system() {
        return new BlockDevices(Path.of("/sys"), Path.of("/dev"), DEFAULT_TIMEOUT);
    }

    /**
     * The node of the virtio-blk disk at {@code pciPath}.
     *
     * @throws IllegalArgumentException if {@code pciPath} is not a PCI path
     * @throws DeviceNotFoundException  if the disk did not appear in time
     */
    public Path virtioBlkPci(String pciPath) throws IOException {
        PciPath parsed = PciPath.parse(pciPath, sysfs);
        return await("virtio-blk device at PCI path " + pciPath, () -> {
            Optional<Path> device = pciDevice(parsed.rootBus(), parsed.slots());
            return device.isEmpty() ? Optional.empty() : diskUnder(device.get(), true);
        });
    }

    /**
     * The sysfs directory of the PCI device at {@code pciPath} (a NIC as well as a disk), once it
     * exists.
     *
     * @throws IllegalArgumentException if {@code pciPath} is not a PCI path
     */
    public Path pciDeviceDirectory(String pciPath) throws IOException {
        PciPath parsed = PciPath.parse(pciPath, sysfs);
        return await("PCI device at PCI path " + pciPath, () -> pciDevice(parsed.rootBus(), parsed.slots()));
    }

    /** kata's PCI path ({@code [pxb root complex/]slot[.fn]/...}) resolved to the root bus and slots. */
    private record PciPath(Path rootBus, List<String> slots) {
        static PciPath parse(String pciPath, Path sysfs) {
            String[] segments = pciPath.split("/", -1);
            String rootComplex = "00";
            int first = 0;
            if (segments.length >= 3 && isPxbRootComplex(segments[0])) {
                rootComplex = segments[0];
                first = 1;
            }
            List<String> slots = new ArrayList<>();
            for (int i = first; i < segments.length; i++) {
                slots.add(slotFunction(segments[i], pciPath));
            }
            return new PciPath(sysfs.resolve("devices/pci0000:" + rootComplex), List.copyOf(slots));
        }
    }

    /**
     * The node {@code /dev/NAME} of an mmio virtio-blk disk, once it exists.
     *
     * @throws IllegalArgumentException unless {@code devPath} is {@code /dev/NAME}
     */
    public Path mmio(String devPath) throws IOException {
        if (!devPath.startsWith("/dev/")) {
            throw new IllegalArgumentException("\"" + devPath + "\" must start with /dev/");
        }
        String name = simpleName(devPath.substring("/dev/".length()), devPath);
        return await("mmio block device " + devPath, () -> blockNode(name));
    }

    /**
     * The node of the SCSI disk at {@code address} ({@code target:lun}) on host 0, channel 0, after
     * asking every SCSI host to scan for it, as kata does.
     *
     * @throws IllegalArgumentException unless {@code address} is two decimal numbers
     */
    public Path scsi(String address) throws IOException {
        String[] tokens = address.split(":", -1);
        if (tokens.length != 2 || !isDecimal(tokens[0]) || !isDecimal(tokens[1])) {
            throw new IllegalArgumentException("SCSI address \"" + address + "\" is not TARGET:LUN");
        }
        Path hosts = sysfs.resolve("class/scsi_host");
        if (!Files.isDirectory(hosts)) {
            throw new DeviceNotFoundException("no SCSI host in this guest (" + hosts + " is missing) for SCSI address "
                    + address);
        }
        try (DirectoryStream<Path> each = Files.newDirectoryStream(hosts)) {
            for (Path host : each) {
                Files.writeString(host.resolve("scan"), "0 " + tokens[0] + " " + tokens[1], StandardCharsets.US_ASCII);
            }
        }
        Path device = sysfs.resolve("bus/scsi/devices/0:0:" + tokens[0] + ":" + tokens[1]);
        return await("SCSI device at address " + address, () -> diskUnder(device, false));
    }

    /** Walks the PCI path through its bridges; empty while part of it is not there yet. */
    private static Optional<Path> pciDevice(Path rootBus, List<String> slots) throws IOException {
        String bus = "0000:00";
        Path path = rootBus;
        for (int i = 0; i < slots.size(); i++) {
            path = path.resolve(bus + ":" + slots.get(i));
            if (!Files.isDirectory(path)) {
                return Optional.empty();
            }
            if (i < slots.size() - 1) {
                // A bridge lists the one bus behind it under pci_bus/.
                List<String> buses = names(path.resolve("pci_bus"));
                if (buses.isEmpty()) {
                    return Optional.empty();
                }
                if (buses.size() != 1) {
                    throw new IOException("PCI bridge " + path + " has " + buses.size() + " buses behind it");
                }
                bus = buses.getFirst();
            }
        }
        return Optional.of(path);
    }

    /**
     * The whole-disk node under a device directory: {@code virtioN/block/NAME} for virtio-blk,
     * {@code block/NAME} for SCSI; empty until both the sysfs entry and the node are there.
     */
    private Optional<Path> diskUnder(Path device, boolean virtio) throws IOException {
        List<Path> blockDirs = new ArrayList<>();
        if (virtio) {
            for (String name : names(device)) {
                if (name.startsWith("virtio")) {
                    blockDirs.add(device.resolve(name).resolve("block"));
                }
            }
        } else {
            blockDirs.add(device.resolve("block"));
        }
        for (Path blockDir : blockDirs) {
            List<String> disks = names(blockDir);
            if (disks.size() > 1) {
                throw new IOException(blockDir + " lists several disks: " + disks);
            }
            if (disks.size() == 1) {
                return blockNode(simpleName(disks.getFirst(), blockDir.toString()));
            }
        }
        return Optional.empty();
    }

    /** {@code /dev/NAME} once it exists as a block device; a non-block file there is an error. */
    private Optional<Path> blockNode(String name) throws IOException {
        Path node = dev.resolve(name);
        int mode;
        try {
            mode = (int) Files.getAttribute(node, "unix:mode");
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        if ((mode & S_IFMT) != S_IFBLK) {
            throw new IOException(node + " is not a block device");
        }
        return Optional.of(node);
    }

    private interface Probe {
        Optional<Path> find() throws IOException;
    }

    private Path await(String what, Probe probe) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<Path> found = probe.find();
            if (found.isPresent()) {
                return found.get();
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new DeviceNotFoundException(what + " did not appear within " + timeout.toMillis() + " ms");
            }
            try {
                Thread.sleep(POLL);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for " + what, e);
            }
        }
    }

    private static List<String> names(Path dir) throws IOException {
        List<String> names = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return names;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                names.add(entry.getFileName().toString());
            }
        } catch (NoSuchFileException e) {
            return List.of(); // removed between the check and the listing: not there (yet)
        }
        names.sort(null);
        return names;
    }

    /** Kata's SlotFn: {@code SS} or {@code SS.F} in hex, slot at most 0x1f, function at most 7. */
    private static String slotFunction(String text, String pciPath) {
        String[] parts = text.split("\\.", -1);
        if (parts.length > 2 || !isHex(parts[0]) || (parts.length == 2 && !isHex(parts[1]))) {
            throw new IllegalArgumentException("PCI path \"" + pciPath + "\": \"" + text + "\" is not SS or SS.F");
        }
        int slot = Integer.parseInt(parts[0], 16);
        int function = parts.length == 2 ? Integer.parseInt(parts[1], 16) : 0;
        if (slot > 0x1f || function > 7) {
            throw new IllegalArgumentException("PCI path \"" + pciPath + "\": slot " + parts[0]
                    + " or function out of range");
        }
        return String.format("%02x.%x", slot, function);
    }

    private static boolean isPxbRootComplex(String segment) {
        return segment.length() == 2 && isHex(segment) && Integer.parseInt(segment, 16) >= PXB_PCIE_ROOT_BUS_MIN;
    }

    private static boolean isHex(String s) {
        return !s.isEmpty() && s.length() <= 2 && s.chars().allMatch(c -> Character.digit(c, 16) >= 0);
    }

    private static boolean isDecimal(String s) {
        return !s.isEmpty() && s.length() <= 9 && s.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    private static String simpleName(String name, String context) {
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.contains("/") || name.contains("\0")) {
            throw new IllegalArgumentException("\"" + context + "\" does not name a device");
        }
        return name;
    }
}
