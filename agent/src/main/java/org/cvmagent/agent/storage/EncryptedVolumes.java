package org.cvmagent.agent.storage;

import io.grpc.Status;
import org.cvmagent.agent.fs.OpenFd;
import org.cvmagent.rpc.RpcException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * LUKS2 + dm-integrity volumes on host disks, mounted: the one path behind kata's
 * {@code encryption_key=…} block storages and the confidential data hub's {@code SecureMount}
 * ({@code block-device}). An ephemeral volume is formatted under a fresh key every time
 * ({@link LuksScratch#formatEphemeral}); a persistent one is opened from a checked copy of its header
 * under a KBS key, or formatted if the disk is blank ({@link LuksScratch#openPersistent}). Either way
 * the file system is ext4 and is mounted onto a mount point the caller holds open.
 *
 * <p>A disk that does not fit (not blank and not the expected LUKS2, blank where a volume was
 * expected) and a key that does not open it are FAILED_PRECONDITION with a message saying the disk
 * was not changed.
 */
public final class EncryptedVolumes {

    private final LuksScratch luks;
    private final Mounter mounter;
    private final DiskUse diskUse;

    public EncryptedVolumes(LuksScratch luks, Mounter mounter, DiskUse diskUse) {
        this.luks = luks;
        this.mounter = mounter;
        this.diskUse = diskUse;
    }

    /** The checks on which disks may be used. */
    public DiskUse diskUse() {
        return diskUse;
    }

    /** A fresh volume under a key of this boot, ext4, mounted at {@code target}. */
    public MountedStorage ephemeral(Path device, OpenFd target, MountOptions options) throws IOException {
        LuksScratch.OpenVolume volume = luks.formatEphemeral(device);
        return mount(volume, target, options);
    }

    /**
     * The persistent volume on {@code device} under {@code key} (overwritten with zeros when done),
     * mounted at {@code target}.
     *
     * @param what names the request in messages, e.g. {@code storages[0]} or {@code SecureMount}
     * @throws RpcException FAILED_PRECONDITION when the disk does not fit or the key does not open it
     */
    public MountedStorage persistent(String what, Path device, byte[] key, LuksScratch.Expect expect, OpenFd target,
                                     MountOptions options) throws RpcException, IOException {
        LuksScratch.Persistent opened;
        try {
            opened = luks.openPersistent(device, key, expect);
        } catch (LuksHeader.RefusedException | LuksScratch.WrongKeyException e) {
            throw new RpcException(Status.Code.FAILED_PRECONDITION, what + ": " + e.getMessage(), e);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
        return mount(opened.volume(), target, options);
    }

    private MountedStorage mount(LuksScratch.OpenVolume volume, OpenFd target, MountOptions options)
            throws IOException {
        try {
            mounter.mount(volume.mapper().toString(), target, "ext4", options);
        } catch (IOException | RuntimeException e) {
            try {
                luks.close(volume);
            } catch (IOException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
        return () -> {
            mounter.unmount(target);
            luks.close(volume);
        };
    }

}
