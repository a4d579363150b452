package org.cvmagent.agent.storage;

import org.cvmagent.rpc.RpcException;

import java.io.IOException;
import java.util.List;
import java.util.OptionalInt;

/**
 * Kata's {@code local} driver: a plain directory in the guest (already created by the manager),
 * whose group and mode the options {@code fsgid=N} and {@code mode=NNNN} (octal) set. Nothing is
 * mounted. As in kata, a group set by {@code fsgid} adds the set-group-id bit to {@code mode}.
 */
public final class LocalHandler implements StorageHandler {

    static final int MODE_SETGID = 02000;

    private final MountLibc libc;

    LocalHandler(MountLibc libc) {
        this.libc = libc;
    }

    public LocalHandler(Mounter mounter) {
        this(mounter.libc());
    }

    @Override
    public List<String> drivers() {
        return List.of("local");
    }

    @Override
    public MountedStorage setUp(StorageRequest request) throws RpcException, IOException {
        KeyValueOptions options = KeyValueOptions.of(request);
        OptionalInt gid = options.id(KeyValueOptions.FS_GID);
        OptionalInt mode = options.mode("mode");
        // Through the magic link, so the change lands on the directory that was opened in the root.
        String path = request.targetPath();
        if (gid.isPresent()) {
            int r = libc.chown(path, -1, gid.getAsInt());
            if (r < 0) {
                throw libc.failure("setting group " + gid.getAsInt() + " on " + request.mountPoint(), r);
            }
        }
        if (mode.isPresent()) {
            int bits = mode.getAsInt() | (gid.isPresent() ? MODE_SETGID : 0);
            int r = libc.chmod(path, bits);
            if (r < 0) {
                throw libc.failure("setting mode 0" + Integer.toOctalString(bits) + " on " + request.mountPoint(), r);
            }
        }
        return MountedStorage.nothing();
    }
}
