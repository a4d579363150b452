package org.cvmagent.agent.storage;

import org.cvmagent.rpc.RpcException;

/**
 * Opens a guest path the host named as a source ({@code O_PATH}), after checking it is absolute
 * with no {@code ..}, following no symbolic link on the way: the host may be able to write where
 * such a source lives (a shared directory), and a link there must not turn a bind of the share into
 * a bind of, say, {@code /etc}.
 */
final class GuestDirectory {

    private GuestDirectory() {
    }

    /**
     * @throws RpcException INVALID_ARGUMENT ({@code <storage>.source}) for a relative path, a
     *         {@code ..} component or a symbolic link; NOT_FOUND when it does not exist
     */
    static Descriptor open(MountLibc libc, StorageRequest request, String source) throws RpcException {
        if (!source.startsWith("/")) {
            throw request.invalid("source", "\"" + source + "\" is not an absolute path");
        }
        if (source.indexOf('\0') >= 0) {
            throw request.invalid("source", "must not contain a NUL byte");
        }
        for (String name : source.split("/")) {
            if (name.equals("..")) {
                throw request.invalid("source", "\"" + source + "\" has a \"..\" component");
            }
        }
        int fd = libc.openat2(MountLibc.AT_FDCWD, source, MountLibc.O_PATH | MountLibc.O_CLOEXEC,
                MountLibc.RESOLVE_NO_SYMLINKS | MountLibc.RESOLVE_NO_MAGICLINKS);
        if (fd == -MountLibc.ENOENT) {
            throw RpcException.notFound(request.field("source") + ": \"" + source + "\" does not exist");
        }
        if (fd == -MountLibc.ELOOP) {
            throw request.invalid("source", "\"" + source + "\" goes through a symbolic link; refusing to follow it");
        }
        if (fd < 0) {
            throw RpcException.internal(request.field("source") + ": "
                    + libc.failure("opening \"" + source + "\"", fd).getMessage(), null);
        }
        return new Descriptor(libc, fd, "source " + source);
    }
}
