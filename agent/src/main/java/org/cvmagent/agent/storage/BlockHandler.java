package org.cvmagent.agent.storage;

import org.cvmagent.rpc.RpcException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Kata's block storage drivers: {@code blk} (virtio-blk on PCI: the source is a PCI path, or a
 * {@code /dev} node already present), {@code mmioblk} (virtio-blk on MMIO: the source is the
 * {@code /dev} node) and {@code scsi} (the source is a SCSI {@code target:lun}). The device is waited
 * for, then mounted with the request's fstype and options.
 *
 * <p>Kata's driver options (creating an ext4 filesystem, ephemeral LUKS encryption through the CDH)
 * are not supported; a storage asking for them is refused rather than mounted differently.
 */
public final class BlockHandler implements StorageHandler {

    private final Mounter mounter;
    private final BlockDevices devices;
    private final String driver;

    private BlockHandler(Mounter mounter, BlockDevices devices, String driver) {
        this.mounter = mounter;
        this.devices = devices;
        this.driver = driver;
    }

    /** {@code blk}: virtio-blk on PCI. */
    public static BlockHandler virtioBlkPci(Mounter mounter, BlockDevices devices) {
        return new BlockHandler(mounter, devices, "blk");
    }

    /** {@code mmioblk}: virtio-blk on MMIO. */
    public static BlockHandler virtioBlkMmio(Mounter mounter, BlockDevices devices) {
        return new BlockHandler(mounter, devices, "mmioblk");
    }

    /** {@code scsi}: virtio-scsi. */
    public static BlockHandler scsi(Mounter mounter, BlockDevices devices) {
        return new BlockHandler(mounter, devices, "scsi");
    }

    @Override
    public List<String> drivers() {
        return List.of(driver);
    }

    @Override
    public MountedStorage setUp(StorageRequest request) throws RpcException, IOException {
        if (request.storage().getDriverOptionsCount() > 0) {
            throw request.invalid("driver_options", "not supported for " + driver + " storage: "
                    + request.storage().getDriverOptionsList());
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
