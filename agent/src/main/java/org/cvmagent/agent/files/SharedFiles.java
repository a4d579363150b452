package org.cvmagent.agent.files;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import org.cvmagent.agent.fs.ConfinedRoot;
import org.cvmagent.agent.fs.OpenFd;
import org.cvmagent.agent.fs.ScopedPath;
import org.cvmagent.proto.agent.CopyFileRequest;
import org.cvmagent.rpc.RpcException;

/**
 * kata's CopyFile: the shim copies files, directories and symbolic links into the guest's shared
 * directory ({@code <sandbox root>/shared/containers}) in chunks. The destination must name a place
 * under that directory; every lookup beneath it goes through {@link ConfinedRoot} (openat2 with
 * RESOLVE_IN_ROOT), so {@code ..}, absolute link targets and links swapped in by earlier requests
 * stay inside — kata had CVEs here. A file is written to {@code <name>.tmp} (kata's name for it) and
 * renamed into place, with its mode and owner, once its declared size is reached.
 */
public final class SharedFiles {
    private static final int S_IFMT = 0170000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFLNK = 0120000;
    private static final int S_IFREG = 0100000;
    /** Created parent directories take only permission bits; files and directories may carry setuid/setgid/sticky. */
    private static final int DIRECTORY_PERMISSIONS = 0777;
    private static final int FILE_PERMISSIONS = 07777;

    private final Path sharedDir;

    public SharedFiles(Path sharedDir) {
        this.sharedDir = sharedDir;
    }

    public void copy(CopyFileRequest req) throws RpcException, IOException {
        String relative = relative(req.getPath());
        if (req.getOffset() < 0 || req.getFileSize() < 0) {
            throw RpcException.invalidArgument("CopyFileRequest: offset " + req.getOffset() + " and file_size "
                    + req.getFileSize() + " must not be negative");
        }
        int type = req.getFileMode() & S_IFMT;
        if (type != 0 && type != S_IFREG && type != S_IFDIR && type != S_IFLNK) {
            throw RpcException.invalidArgument("CopyFileRequest: file_mode 0" + Integer.toOctalString(req.getFileMode())
                    + " is not a regular file, directory or symbolic link");
        }
        // written without an addition, which a huge offset would overflow past the check
        if (type != S_IFDIR && type != S_IFLNK && req.getOffset() > req.getFileSize() - req.getData().size()) {
            throw RpcException.invalidArgument("CopyFileRequest: " + req.getData().size() + " bytes at offset "
                    + req.getOffset() + " go past file_size " + req.getFileSize());
        }
        Files.createDirectories(sharedDir);
        List<String> parts = ScopedPath.components(relative);
        String name = parts.getLast();
        String parentPath = parts.size() == 1 ? "." : String.join("/", parts.subList(0, parts.size() - 1));
        try (ConfinedRoot root = ConfinedRoot.open(sharedDir);
             OpenFd parent = root.mkdirs(parentPath, req.getDirMode() & DIRECTORY_PERMISSIONS)) {
            owner(parent.procPath(), req, false);
            Path target = parent.procPath().resolve(name);
            if (type == S_IFDIR) {
                directory(root, relative, target, req);
            } else if (type == S_IFLNK) {
                symlink(target, req);
            } else {
                file(root, parts, parent, name, req);
            }
        }
    }

    /** The path beneath the shared directory the host names, or INVALID_ARGUMENT. */
    private String relative(String path) throws RpcException {
        Path p = Path.of(path);
        if (!p.isAbsolute() || !p.startsWith(sharedDir) || p.getNameCount() == sharedDir.getNameCount()) {
            throw RpcException.invalidArgument("CopyFileRequest: path " + path + " is not beneath " + sharedDir);
        }
        String rel = sharedDir.relativize(p).toString();
        List<String> parts = ScopedPath.components(rel);
        String last = parts.getLast();
        if (last.isEmpty() || last.equals(".") || last.equals("..")) {
            throw RpcException.invalidArgument("CopyFileRequest: path " + path + " does not name an entry");
        }
        // confinement would keep ".." inside anyway; a shim never sends it, so it is refused outright
        if (parts.contains("..")) {
            throw RpcException.invalidArgument("CopyFileRequest: path " + path + " contains '..'");
        }
        return rel;
    }

    private static void directory(ConfinedRoot root, String relative, Path target, CopyFileRequest req)
            throws IOException {
        // a file or link in the way is replaced; an existing directory is kept and updated
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            Files.delete(target);
        }
        try (OpenFd dir = root.mkdirs(relative, req.getFileMode() & DIRECTORY_PERMISSIONS)) {
            Files.setAttribute(dir.procPath(), "unix:mode", req.getFileMode() & FILE_PERMISSIONS);
            owner(dir.procPath(), req, false);
        }
    }

    private static void symlink(Path target, CopyFileRequest req) throws IOException, RpcException {
        String linkTarget = req.getData().toStringUtf8();
        if (linkTarget.isEmpty() || linkTarget.indexOf('\0') >= 0) {
            throw RpcException.invalidArgument("CopyFileRequest: a symbolic link needs a target (data) without NUL");
        }
        removeForReplacement(target);
        Files.createSymbolicLink(target, Path.of(linkTarget));
        owner(target, req, true);
    }

    private static void file(ConfinedRoot root, List<String> parts, OpenFd parent, String name, CopyFileRequest req)
            throws IOException {
        Path target = parent.procPath().resolve(name);
        if (req.getOffset() == 0) {
            removeForReplacement(target);
        }
        String tmpName = tmpName(name);
        List<String> tmpParts = new java.util.ArrayList<>(parts.subList(0, parts.size() - 1));
        tmpParts.add(tmpName);
        int mode = req.getFileMode() & FILE_PERMISSIONS;
        try (OpenFd tmp = root.openForWriting(String.join("/", tmpParts), mode, req.getOffset() == 0)) {
            tmp.write(req.getData().toByteArray(), req.getOffset());
            if (Files.size(tmp.procPath()) != req.getFileSize()) {
                return; // more chunks to come
            }
            // the umask may have narrowed the mode at create: set it as asked
            Files.setAttribute(tmp.procPath(), "unix:mode", mode);
            owner(tmp.procPath(), req, false);
        }
        Files.move(parent.procPath().resolve(tmpName), target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Removes what is at {@code target} so a new entry can take its place (kata removes it all); a
     * non-empty directory is refused rather than deleted recursively by name.
     */
    private static void removeForReplacement(Path target) throws IOException {
        try {
            Files.deleteIfExists(target);
        } catch (DirectoryNotEmptyException e) {
            throw new IOException("CopyFile: " + target.getFileName() + " is a non-empty directory; a file or link "
                    + "cannot replace it", e);
        }
    }

    /** kata's temporary name: the extension replaced by "tmp" (Rust's set_extension). */
    static String tmpName(String name) {
        int dot = name.lastIndexOf('.');
        return (dot > 0 ? name.substring(0, dot) : name) + ".tmp";
    }

    private static void owner(Path p, CopyFileRequest req, boolean link) throws IOException {
        LinkOption[] options = link ? new LinkOption[] {LinkOption.NOFOLLOW_LINKS} : new LinkOption[0];
        Files.setAttribute(p, "unix:uid", req.getUid(), options);
        Files.setAttribute(p, "unix:gid", req.getGid(), options);
    }
}
