package org.cvmagent.agent.storage;

import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.cvmagent.agent.fs.ConfinedRoot;
import org.cvmagent.agent.fs.OpenFd;
import org.cvmagent.rpc.RpcException;

/**
 * The image layer store on a disk the host provides, named by the owner in measured init-data
 * (cdh.toml {@code [image] image_store_device}): at the first pull the disk is checked to be a whole
 * disk the guest does not use ({@link DiskUse}), formatted as LUKS2 with dm-integrity under a fresh
 * key of this boot ({@link EncryptedVolumes#ephemeral}: the host sees ciphertext only, and a sector
 * it changes reads as an I/O error), given an ext4 file system and mounted (nosuid, nodev) at the
 * mount point; the layer store and the containers' rootfs directories are made there.
 *
 * <p>Fails closed: when the disk is missing, in use or cannot be set up, this pull and every later
 * one fail with FAILED_PRECONDITION naming the setting and the reason (the first failure is kept, so
 * a half set-up disk is not retried into a misleading "in use"); images never go to guest RAM
 * instead. The volume stays until the guest ends: its key dies with the boot.
 */
public final class EncryptedImageStore implements ImageStore {

    private static final System.Logger LOG = System.getLogger(EncryptedImageStore.class.getName());
    private static final MountOptions OPTIONS = new MountOptions(MountOptions.MS_NOSUID | MountOptions.MS_NODEV, "");

    /** Formats, opens and mounts an ephemeral encrypted volume: {@link EncryptedVolumes#ephemeral}. */
    @FunctionalInterface
    public interface Volumes {
        MountedStorage ephemeral(Path device, OpenFd target, MountOptions options) throws IOException;
    }

    /** Opens the store on the mounted file system at {@code mountPoint}. */
    @FunctionalInterface
    public interface Opener {
        Ready open(Path mountPoint) throws IOException;
    }

    private final String setting;
    private final Path device;
    private final DiskUse disks;
    private final Volumes volumes;
    private final Path mountPoint;
    private final Opener opener;
    private Ready ready;
    private String failure;

    /**
     * @param setting    names the setting in messages, e.g. {@code init-data cdh.toml [image] image_store_device}
     * @param device     the disk, {@code /dev/NAME} (checked by the settings' parser)
     * @param mountPoint a directory on the agent's state tmpfs, created at the first pull
     */
    public EncryptedImageStore(String setting, Path device, DiskUse disks, Volumes volumes, Path mountPoint,
                               Opener opener) {
        this.setting = setting;
        this.device = device;
        this.disks = disks;
        this.volumes = volumes;
        this.mountPoint = mountPoint;
        this.opener = opener;
    }

    @Override
    public synchronized Ready ready() throws RpcException {
        if (ready != null) {
            return ready;
        }
        if (failure == null) {
            try {
                ready = setUp();
                return ready;
            } catch (DiskUse.RefusedException e) {
                failure = e.getMessage();
            } catch (IOException | RuntimeException e) {
                failure = "setting it up as the encrypted image store failed: " + e.getMessage();
                LOG.log(System.Logger.Level.ERROR, setting + " = " + device + ": " + failure, e);
            }
        }
        throw new RpcException(Status.Code.FAILED_PRECONDITION, "image_guest_pull: " + setting + " = \"" + device
                + "\": " + failure + "; images are not pulled into guest memory instead");
    }

    private Ready setUp() throws DiskUse.RefusedException, IOException {
        Path node = disks.unusedDisk(device.getFileName().toString());
        Path parent = mountPoint.getParent();
        Files.createDirectories(parent);
        long started = System.nanoTime();
        MountedStorage mounted;
        try (ConfinedRoot root = ConfinedRoot.open(parent);
             OpenFd target = root.mkdirs(mountPoint.getFileName().toString(), 0700)) {
            mounted = volumes.ephemeral(node, target, OPTIONS);
        }
        try {
            Ready opened = opener.open(mountPoint);
            LOG.log(System.Logger.Level.INFO, "image layer store on encrypted " + node + " (" + setting
                    + "; LUKS2 + dm-integrity under a key of this boot, set up in "
                    + (System.nanoTime() - started) / 1_000_000 + " ms), mounted at " + mountPoint);
            return opened;
        } catch (IOException | RuntimeException e) {
            try {
                mounted.release();
            } catch (IOException releasing) {
                e.addSuppressed(releasing);
            }
            throw e;
        }
    }
}
