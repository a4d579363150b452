package org.cvmagent.attestation.cdh;

import java.util.Optional;
import org.cvmagent.rpc.RpcException;

/**
 * What the confidential data hub's {@code SecureMount} needs from whoever owns the guest's disks and
 * mounts (the agent): set up one {@code block-device} volume. The data hub has parsed and checked the
 * request's options and fetched the key (from the KBS or a sealed secret, never from the request);
 * the implementation finds the device, checks it may be used, opens or formats it and mounts it.
 */
@FunctionalInterface
public interface SecureVolumes {

    /**
     * @param mount the checked request
     * @param key   the volume key for a persistent volume (the implementation may overwrite it when
     *              done), empty for a fresh random key of this boot
     * @throws RpcException INVALID_ARGUMENT for a device or mount point it will not use,
     *                      FAILED_PRECONDITION when the disk does not fit the request (a header that
     *                      is not the expected LUKS2, a key that does not open it), INTERNAL when the
     *                      system fails
     */
    void mountBlockDevice(BlockDeviceMount mount, Optional<byte[]> key) throws RpcException;
}
