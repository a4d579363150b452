package org.cvmagent.agent.storage;

import org.cvmagent.agent.fs.OpenFd;
import org.cvmagent.proto.agent.Storage;
import org.cvmagent.rpc.RpcException;

/**
 * One storage for a handler to set up.
 *
 * @param field     where the storage sits in the request, e.g. {@code storages[1]}, for messages
 * @param storage   the host's description
 * @param target    the mount point directory, already created beneath the sandbox root and held
 *                  open ({@code O_PATH}); handlers mount onto {@link #targetPath()}, never by name
 * @param mountPoint the mount point as the host named it (normalized), for messages
 * @param owner     who asked (a container id, or empty for the sandbox)
 */
public record StorageRequest(String field, Storage storage, OpenFd target, String mountPoint, String owner) {

    /** {@code /proc/self/fd/N} of {@link #target}. */
    public String targetPath() {
        return Mounter.procPath(target);
    }

    /** The full name of one of the storage's fields, e.g. {@code storages[1].options}. */
    public String field(String name) {
        return field + "." + name;
    }

    /** An INVALID_ARGUMENT naming {@code name}, e.g. {@code storages[1].options: ...}. */
    public RpcException invalid(String name, String problem) {
        return RpcException.invalidArgument(field(name) + ": " + problem);
    }

    /** Kata's options parsed, with a parse failure as an INVALID_ARGUMENT naming the options field. */
    public MountOptions mountOptions() throws RpcException {
        MountOptions options;
        try {
            options = MountOptions.parse(storage.getOptionsList());
        } catch (IllegalArgumentException e) {
            throw invalid("options", e.getMessage());
        }
        // A storage is always a new mount: remount would change whatever is already there.
        if ((options.flags() & MountOptions.MS_REMOUNT) != 0) {
            throw invalid("options", "remount is not allowed for a storage");
        }
        if (Long.bitCount(options.flags() & MountOptions.PROPAGATION) > 1) {
            throw invalid("options", "more than one propagation type (shared, private, slave, unbindable)");
        }
        return options;
    }
}
