package org.cvmagent.agent.storage;

import org.cvmagent.attestation.cdh.InvalidResourceUriException;
import org.cvmagent.attestation.cdh.ResourceUri;
import org.cvmagent.rpc.RpcException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Kata's block storage drivers: {@code blk} (virtio-blk on PCI: the source is a PCI path, or a
 * {@code /dev} node already present), {@code mmioblk} (virtio-blk on MMIO: the source is the
 * {@code /dev} node) and {@code scsi} (the source is a SCSI {@code target:lun}). The device is waited
 * for, then mounted with the request's fstype and options.
 *
 * <p>Kata's driver option {@code encryption_key=ephemeral} (with {@code create_filesystem}: the
 * block-encrypted emptyDir) makes the disk encrypted, integrity-protected scratch space under a key
 * made in the guest for this mount ({@link LuksScratch}): the host's disk holds only ciphertext.
 * {@code encryption_key=kbs:///repo/type/tag} makes it a persistent volume under that KBS resource,
 * fetched through the confidential data hub ({@link EncryptedVolumes#persistent}: opened if the disk
 * holds the volume, formatted only if it is blank). {@code create_filesystem} alone (plain ext4 on
 * the host's disk) and any other driver option are refused rather than mounted differently.
 */
public final class BlockHandler implements StorageHandler {

    static final String EPHEMERAL_ENCRYPTION = "encryption_key=ephemeral";
    static final String ENCRYPTION_KEY = "encryption_key=";
    static final String CREATE_FILESYSTEM = "create_filesystem";

    private final Mounter mounter;
    private final BlockDevices devices;
    private final String driver;
    private final Optional<EncryptedVolumes> encryption;
    private final Optional<VolumeKeys> keys;

    private BlockHandler(Mounter mounter, BlockDevices devices, String driver, Optional<EncryptedVolumes> encryption,
                         Optional<VolumeKeys> keys) {
        this.mounter = mounter;
        this.devices = devices;
        this.driver = driver;
        this.encryption = encryption;
        this.keys = keys;
    }

    /** {@code blk}: virtio-blk on PCI. */
    public static BlockHandler virtioBlkPci(Mounter mounter, BlockDevices devices, Optional<EncryptedVolumes> encryption) {
        return virtioBlkPci(mounter, devices, encryption, Optional.empty());
    }

    /** {@code blk}: virtio-blk on PCI, with KBS keys for persistent volumes. */
    public static BlockHandler virtioBlkPci(Mounter mounter, BlockDevices devices, Optional<EncryptedVolumes> encryption,
                                            Optional<VolumeKeys> keys) {
        return new BlockHandler(mounter, devices, "blk", encryption, keys);
    }

    /** {@code mmioblk}: virtio-blk on MMIO. */
    public static BlockHandler virtioBlkMmio(Mounter mounter, BlockDevices devices, Optional<EncryptedVolumes> encryption) {
        return virtioBlkMmio(mounter, devices, encryption, Optional.empty());
    }

    /** {@code mmioblk}: virtio-blk on MMIO, with KBS keys for persistent volumes. */
    public static BlockHandler virtioBlkMmio(Mounter mounter, BlockDevices devices, Optional<EncryptedVolumes> encryption,
                                             Optional<VolumeKeys> keys) {
        return new BlockHandler(mounter, devices, "mmioblk", encryption, keys);
    }

    /** {@code scsi}: virtio-scsi. */
    public static BlockHandler scsi(Mounter mounter, BlockDevices devices, Optional<EncryptedVolumes> encryption) {
        return scsi(mounter, devices, encryption, Optional.empty());
    }

    /** {@code scsi}: virtio-scsi, with KBS keys for persistent volumes. */
    public static BlockHandler scsi(Mounter mounter, BlockDevices devices, Optional<EncryptedVolumes> encryption,
                                    Optional<VolumeKeys> keys) {
        return new BlockHandler(mounter, devices, "scsi", encryption, keys);
    }

    @Override
    public List<String> drivers() {
        return List.of(driver);
    }

    @Override
    public MountedStorage setUp(StorageRequest request) throws RpcException, IOException {
        List<String> driverOptions = request.storage().getDriverOptionsList();
        List<String> keyOptions = driverOptions.stream().filter(o -> o.startsWith(ENCRYPTION_KEY)).toList();
        boolean encrypted = keyOptions.size() == 1;
        if (!driverOptions.isEmpty() && !(encrypted && driverOptions.stream()
                .allMatch(o -> o.equals(keyOptions.getFirst()) || o.equals(CREATE_FILESYSTEM)))) {
            throw request.invalid("driver_options", "not supported for " + driver + " storage: " + driverOptions
                    + " (one " + ENCRYPTION_KEY + "ephemeral or " + ENCRYPTION_KEY + "kbs:///repo/type/tag, "
                    + "optionally with " + CREATE_FILESYSTEM + ", is)");
        }
        if (encrypted) {
            return encryptedVolume(request, keyOptions.getFirst().substring(ENCRYPTION_KEY.length()));
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

    /**
     * A LUKS2 + integrity volume on the host's disk, ext4 on it, mounted at the target: fresh under
     * an ephemeral key, or the persistent volume of a KBS key.
     */
    private MountedStorage encryptedVolume(StorageRequest request, String key) throws RpcException, IOException {
        ResourceUri uri = null;
        if (!key.equals("ephemeral")) {
            try {
                uri = ResourceUri.parse(key);
            } catch (InvalidResourceUriException e) {
                throw request.invalid("driver_options", ENCRYPTION_KEY + " is neither ephemeral nor a KBS resource: "
                        + e.getMessage());
            }
            if (uri.kbsAuthority().isPresent()) {
                throw request.invalid("driver_options", ENCRYPTION_KEY + key + " names a KBS of its own: volume "
                        + "keys come only from the KBS the init-data names (kbs:///repo/type/tag)");
            }
        }
        if (encryption.isEmpty()) {
            throw request.invalid("driver_options", ENCRYPTION_KEY + " needs cryptsetup, which this agent "
                    + "was started without");
        }
        String fstype = request.storage().getFstype();
        if (!fstype.equals("ext4")) {
            throw request.invalid("fstype", "an encrypted volume is ext4, got \"" + fstype + "\"");
        }
        MountOptions options = request.mountOptions();
        if (options.bind()) {
            throw request.invalid("options", "a block device cannot be bind-mounted");
        }
        if (uri == null) {
            return encryption.get().ephemeral(device(request), request.target(), options);
        }
        if (keys.isEmpty()) {
            throw request.invalid("driver_options", ENCRYPTION_KEY + "kbs:// needs the confidential data hub, "
                    + "which this agent was started without");
        }
        Path node = device(request);
        try {
            node = encryption.get().diskUse().unusedDisk(node.getFileName().toString());
        } catch (DiskUse.RefusedException e) {
            throw request.invalid("source", e.getMessage());
        }
        byte[] secret = keys.get().fetch(uri);
        return encryption.get().persistent(request.field("driver_options"), node, secret, LuksScratch.Expect.ANY,
                request.target(), options);
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
