package org.cvmagent.agent.initdata;

import org.cvmagent.agent.policy.InitData;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * kata 3.x's init-data disk: the runtime turns the pod's
 * {@code io.katacontainers.config.hypervisor.cc_init_data} annotation into a virtio-blk or
 * virtio-scsi disk whose first bytes are the magic {@code initdata}, then the payload's length as a
 * little-endian u64, then that many bytes of gzip-compressed init-data TOML. It is found as kata-agent
 * finds it: among the {@code vd*} and {@code sd*} block devices of /dev, by the magic.
 *
 * <p>The disk is the host's, so everything is bounded and checked: two disks carrying the magic
 * are refused (which one the owner meant is unknowable), as are a payload longer than
 * {@link #MAX_PAYLOAD}, a short read, and a payload that is not gzip.
 */
public final class InitDataDevice {

    static final byte[] MAGIC = "initdata".getBytes(StandardCharsets.US_ASCII);
    /** The compressed payload; a genpolicy policy is about 10 KB compressed. */
    static final long MAX_PAYLOAD = 16L * 1024 * 1024;
    private static final int S_IFMT = 0170000;
    private static final int S_IFBLK = 0060000;
    private static final System.Logger LOG = System.getLogger(InitDataDevice.class.getName());

    private final Path devDir;

    public InitDataDevice(Path devDir) {
        this.devDir = devDir;
    }

    /**
     * The init-data on the one device carrying the magic, if any.
     *
     * @throws IllegalArgumentException a device carries the magic but not a well-formed payload, or
     *                                  two devices carry it
     * @throws IOException              the device directory cannot be listed
     */
    public Optional<MeasuredInitData> read() throws IOException {
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(devDir, "{vd,sd}*")) {
            for (Path entry : entries) {
                if (blockDevice(entry) && startsWithMagic(entry)) {
                    found.add(entry);
                }
            }
        }
        if (found.isEmpty()) {
            return Optional.empty();
        }
        if (found.size() > 1) {
            throw new IllegalArgumentException("init-data: more than one disk carries the init-data magic: " + found);
        }
        Path device = found.getFirst();
        return Optional.of(MeasuredInitData.of(InitData.gunzip(payload(device)), "init-data device " + device));
    }

    private static boolean blockDevice(Path entry) {
        try {
            int mode = (Integer) Files.getAttribute(entry, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return (mode & S_IFMT) == S_IFBLK;
        } catch (IOException | UnsupportedOperationException e) {
            LOG.log(System.Logger.Level.DEBUG, "init-data: cannot stat " + entry + ": " + e.getMessage());
            return false;
        }
    }

    private static boolean startsWithMagic(Path device) {
        try (InputStream in = Files.newInputStream(device)) {
            return Arrays.equals(in.readNBytes(MAGIC.length), MAGIC);
        } catch (IOException e) {
            // kata skips a disk it cannot read (a disk not yet ready, a CD-ROM without medium)
            LOG.log(System.Logger.Level.DEBUG, "init-data: cannot read " + device + ": " + e.getMessage());
            return false;
        }
    }

    /** The compressed payload after the magic and the length. */
    static byte[] payload(Path device) throws IOException {
        try (InputStream in = Files.newInputStream(device)) {
            in.readNBytes(MAGIC.length);
            byte[] length = in.readNBytes(Long.BYTES);
            if (length.length < Long.BYTES) {
                throw new IllegalArgumentException("init-data device " + device + " ends inside its length field");
            }
            long size = ByteBuffer.wrap(length).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (size <= 0 || size > MAX_PAYLOAD) {
                throw new IllegalArgumentException("init-data device " + device + " declares a payload of "
                        + Long.toUnsignedString(size) + " bytes (1 to " + MAX_PAYLOAD + " accepted)");
            }
            byte[] payload = in.readNBytes((int) size);
            if (payload.length < size) {
                throw new IllegalArgumentException("init-data device " + device + " declares " + size
                        + " bytes but holds " + payload.length, new EOFException());
            }
            return payload;
        }
    }
}
