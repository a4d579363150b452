package org.cvmagent.agent.server;

import org.cvmagent.agent.storage.DiskUse;
import org.cvmagent.agent.storage.EncryptedVolumes;
import org.cvmagent.agent.storage.LuksScratch;
import org.cvmagent.agent.storage.MountOptions;
import org.cvmagent.agent.storage.StorageManager;
import org.cvmagent.attestation.cdh.BlockDeviceMount;
import org.cvmagent.attestation.cdh.SecureVolumes;
import org.cvmagent.rpc.RpcException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * The agent's side of the confidential data hub's {@code SecureMount} ({@code block-device}): finds
 * the disk the request names (a whole disk the guest does not use), sets up the encrypted volume
 * ({@link EncryptedVolumes}: ephemeral, or persistent under the key the hub fetched) and mounts it at
 * the request's mount point, which must lie beneath the sandbox root, through the storage manager's
 * confined, reference-counted mounts (driver name {@code cdh-block-device} there). The volume stays
 * until the guest ends; SecureMount has no unmount call.
 */
public final class AgentSecureVolumes implements SecureVolumes {

    static final String DRIVER = "cdh-block-device";
    private static final System.Logger LOG = System.getLogger(AgentSecureVolumes.class.getName());

    private final StorageManager storages;
    private final EncryptedVolumes volumes;
    private final DiskUse disks;

    public AgentSecureVolumes(StorageManager storages, EncryptedVolumes volumes) {
        this.storages = storages;
        this.volumes = volumes;
        this.disks = volumes.diskUse();
    }

    @Override
    public void mountBlockDevice(BlockDeviceMount mount, Optional<byte[]> key) throws RpcException {
        try {
            Path node = disk(mount);
            MountOptions options = new MountOptions(MountOptions.MS_NOSUID | MountOptions.MS_NODEV, "");
            String at = storages.mountWith("SecureMount", mount.mountPoint(), DRIVER, request -> {
                if (key.isEmpty()) {
                    return volumes.ephemeral(node, request.target(), options);
                }
                return volumes.persistent("SecureMount", node, key.get().clone(),
                        mount.source() == BlockDeviceMount.Source.ENCRYPTED ? LuksScratch.Expect.EXISTING
                                : LuksScratch.Expect.ANY, request.target(), options);
            }, "");
            LOG.log(System.Logger.Level.INFO, "SecureMount: " + (key.isEmpty() ? "ephemeral" : "persistent")
                    + " volume on " + node + " mounted at " + at);
        } finally {
            key.ifPresent(k -> Arrays.fill(k, (byte) 0));
        }
    }

    private Path disk(BlockDeviceMount mount) throws RpcException {
        try {
            String name;
            if (mount.deviceId().isPresent()) {
                name = disks.nameOf(mount.deviceId().get());
                if (mount.devicePath().isPresent() && !mount.devicePath().get().equals("/dev/" + name)) {
                    throw RpcException.invalidArgument("SecureMount: deviceId " + mount.deviceId().get() + " is /dev/"
                            + name + ", but devicePath says " + mount.devicePath().get());
                }
            } else {
                name = mount.devicePath().orElseThrow().substring("/dev/".length());
            }
            return disks.unusedDisk(name);
        } catch (DiskUse.RefusedException e) {
            throw RpcException.invalidArgument("SecureMount: " + e.getMessage());
        } catch (IOException e) {
            throw RpcException.internal("SecureMount: looking up the device: " + e.getMessage(), e);
        }
    }
}
