package org.cvmagent.agent.storage;

import org.cvmagent.rpc.RpcException;

import java.io.IOException;
import java.util.List;
import java.util.OptionalInt;

/**
 * Kata's {@code ephemeral} driver: a memory-backed tmpfs (Kubernetes emptyDir with medium Memory).
 *
 * <p>As in kata, the only option honoured is {@code fsgid=N}; kata drops every other option before
 * mounting, and so does this handler. Kata applies the group with chown and chmod after mounting;
 * here tmpfs's own {@code gid=} and {@code mode=} options give the new root the same group and the
 * same mode (tmpfs's default 1777 plus set-group-id), so nothing is changed by path after the mount.
 * Kata's hugetlbfs variant (which writes hugepage counts to sysfs) is not supported.
 */
public final class EphemeralHandler implements StorageHandler {

    private static final int TMPFS_ROOT_MODE = 01777;

    private final Mounter mounter;

    public EphemeralHandler(Mounter mounter) {
        this.mounter = mounter;
    }

    @Override
    public List<String> drivers() {
        return List.of("ephemeral");
    }

    @Override
    public MountedStorage setUp(StorageRequest request) throws RpcException, IOException {
        String fstype = request.storage().getFstype();
        if (!fstype.equals("tmpfs")) {
            throw request.invalid("fstype", "ephemeral storage must be tmpfs, got \"" + fstype + "\"");
        }
        OptionalInt gid = KeyValueOptions.of(request).id(KeyValueOptions.FS_GID);
        String data = gid.isEmpty() ? "" : "mode=0" + Integer.toOctalString(TMPFS_ROOT_MODE | LocalHandler.MODE_SETGID)
                + ",gid=" + Integer.toUnsignedString(gid.getAsInt());
        String source = request.storage().getSource().isEmpty() ? "tmpfs" : request.storage().getSource();
        mounter.mount(source, request.target(), "tmpfs", new MountOptions(0, data));
        return () -> mounter.unmount(request.target());
    }
}
