package org.cvmagent.agent.storage;

import org.cvmagent.rpc.RpcException;

import java.io.IOException;
import java.util.List;

/**
 * Kata's {@code virtio-fs} driver: mounts {@code source} (the virtio-fs tag) with the request's
 * fstype and options.
 *
 * <p>Fstype {@code bind} is accepted as well and means a bind mount of an existing guest directory
 * {@code source} (absolute, no {@code ..}); tests stand in for a virtio-fs share this way. The
 * source is opened without following any symbolic link and bound through its descriptor, so a
 * host that can write where the source lives cannot redirect the bind to another guest directory.
 */
public final class VirtioFsHandler implements StorageHandler {

    private final Mounter mounter;

    public VirtioFsHandler(Mounter mounter) {
        this.mounter = mounter;
    }

    @Override
    public List<String> drivers() {
        return List.of("virtio-fs");
    }

    @Override
    public MountedStorage setUp(StorageRequest request) throws RpcException, IOException {
        String fstype = request.storage().getFstype();
        String source = request.storage().getSource();
        MountOptions options = request.mountOptions();
        if (fstype.isEmpty()) {
            throw request.invalid("fstype", "must not be empty");
        }
        if (source.isEmpty()) {
            throw request.invalid("source", "must not be empty");
        }
        if (fstype.equals("bind")) {
            try (Descriptor pinned = GuestDirectory.open(mounter.libc(), request, source)) {
                mounter.mount(pinned.procPath(), request.target(), "bind", options.withFlags(MountOptions.MS_BIND));
            }
        } else {
            mounter.mount(source, request.target(), fstype, options);
        }
        return () -> mounter.unmount(request.target());
    }
}
