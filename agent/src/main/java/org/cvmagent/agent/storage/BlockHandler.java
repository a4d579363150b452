package org.cvmagent.agent.storage;

import org.cvmagent.rpc.RpcException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Kata's block storage drivers: {@code blk} (virtio-blk on PCI: the source is a PCI path, or a
 * {@code /dev} node already present), {@code mmioblk} (virtio-blk on MMIO: the source is the
 * {@code /dev} node) and {@code scsi} (the source is a SCSI {@code target:lun}). The device is waited
 * for, then mounted with the request's fstype and options.
 *
 * <p>Kata's driver option {@code encryption_key=ephemeral} (with {@code create_filesystem}: the
 * block-encrypted emptyDir) makes the disk encrypted, integrity-protected scratch space under a key
 * made in the guest for this mount ({@link LuksScratch}): the host's disk holds only ciphertext.
 * {@code create_filesystem} alone (plain ext4 on the host's disk) and any other driver option are
 * refused rather than mounted differently.
 */
public final class BlockHandler implements StorageHandler {

    static final String EPHEMERAL_ENCRYPTION = "encryption_key=ephemeral";
    static final String CREATE_FILESYSTEM = "create_filesystem";

    private final Mounter mounter;
    private final BlockDevices devices;
    private final String driver;
    private final Optional<LuksScratch> scratch;

    private BlockHandler(Mounter mounter, BlockDevices devices, String driver, Optional<LuksScratch> scratch) {
        this.mounter = mounter;
        this.devices = devices;
        this.driver = driver;
        this.scratch = scratch;
    }

    /** {@code blk}: virtio-blk on PCI. */
    public static BlockHandler virtioBlkPci(Mounter mounter, BlockDevices devices, Optional<LuksScratch> scratch) {
        return new BlockHandler(mounter, devices, "blk", scratch);
    }

    /** {@code mmioblk}: virtio-blk on MMIO. */
    public static BlockHandler virtioBlkMmio(Mounter mounter, BlockDevices devices, Optional<LuksScratch> scratch) {
        return new BlockHandler(mounter, devices, "mmioblk", scratch);
    }

    /** {@code scsi}: virtio-scsi. */
    public static BlockHandler scsi(Mounter mounter, BlockDevices devices, Optional<LuksScratch> scratch) {
        return new BlockHandler(mounter, devices, "scsi", scratch);
    }

    @Override
    public List<String> drivers() {
        return List.of(driver);
    }

    @Override
    public MountedStorage setUp(StorageRequest request) throws RpcException, IOException {
        List<String> driverOptions = request.storage().getDriverOptionsList();
        boolean encrypted = driverOptions.contains(EPHEMERAL_ENCRYPTION);
        if (!driverOptions.isEmpty() && !(encrypted && Set.of(EPHEMERAL_ENCRYPTION, CREATE_FILESYSTEM)
                .containsAll(driverOptions))) {
            throw request.invalid("driver_options", "not supported for " + driver + " storage: " + driverOptions
                    + " (" + EPHEMERAL_ENCRYPTION + ", optionally with " + CREATE_FILESYSTEM + ", is)");
        }
        if (encrypted) {
            return encryptedScratch(request);
        }
        String fstype = request.storage().getFstype();
        if (fstype.isEmpty() || fstype.equals("bind")) {
            throw request.invalid("fstype", "a block device needs a filesystem type, got \"" + fstype + "\"");
        }
        MountOptions options = request.mountOptions();
        if (options.bind()) {
            throw request.invalid("options", "a block device cannot be bind-mounted");
        }
        Path node = device(request);
        mounter.mount(node.toString(), request.target(), fstype, options);
        return () -> mounter.unmount(request.target());
    }

    /** A fresh LUKS2 + integrity volume on the host's disk, ext4 on it, mounted at the target. */
    private MountedStorage encryptedScratch(StorageRequest request) throws RpcException, IOException {
        if (scratch.isEmpty()) {
            throw request.invalid("driver_options", EPHEMERAL_ENCRYPTION + " needs cryptsetup, which this agent "
                    + "was started without");
        }
        String fstype = request.storage().getFstype();
        if (!fstype.equals("ext4")) {
            throw request.invalid("fstype", "encrypted scratch is ext4, got \"" + fstype + "\"");
        }
        MountOptions options = request.mountOptions();
        if (options.bind()) {
            throw request.invalid("options", "a block device cannot be bind-mounted");
        }
        Path node = device(request);
        LuksScratch.OpenVolume volume = scratch.get().formatEphemeral(node);
        try {
            mounter.mount(volume.mapper().toString(), request.target(), fstype, options);
        } catch (IOException | RuntimeException e) {
            scratch.get().close(volume);
            throw e;
        }
        return () -> {
            mounter.unmount(request.target());
            scratch.get().close(volume);
        };
    }

    private Path device(StorageRequest request) throws RpcException, IOException {
        String source = request.storage().getSource();
        try {
            return switch (driver) {
                // Kata's blk also takes a node that is already there (not hot-plugged).
                case "blk" -> source.startsWith("/dev/") ? devices.mmio(source) : devices.virtioBlkPci(source);
                case "mmioblk" -> devices.mmio(source);
                default -> devices.scsi(source);
            };
        } catch (IllegalArgumentException e) {
            throw request.invalid("source", e.getMessage());
        } catch (DeviceNotFoundException e) {
            throw RpcException.notFound(request.field("source") + ": " + e.getMessage());
        }
    }
}
