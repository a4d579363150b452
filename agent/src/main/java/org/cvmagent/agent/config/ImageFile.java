package org.cvmagent.agent.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * A file that a confidential agent may trust because it is part of the measured image: on the same
 * file system as {@code /} (not a disk or share the host attached later), reached without symbolic
 * links, owned by root, and neither it nor any directory above it writable by anyone but root (so
 * nothing that runs in the guest without root, nor a container, can have replaced it). Used for the
 * OCI runtime the agent executes as root and for local image signature policies.
 */
public final class ImageFile {

    private static final int S_IFMT = 0170000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFDIR = 0040000;
    private static final int GROUP_OR_OTHER_WRITE = 0022;
    private static final int OWNER_EXECUTE = 0100;

    private final Path root;

    /** @param root the root file system's mount point ({@code /} in the guest; a directory in tests) */
    public ImageFile(Path root) {
        this.root = root;
    }

    /**
     * @param path       absolute path of the file
     * @param executable whether the file must be executable by its owner
     * @param setting    the setting that named it, for the message
     * @throws ConfigException naming the setting and what is wrong
     */
    public Path check(Path path, boolean executable, String setting) throws ConfigException {
        if (!path.isAbsolute()) {
            throw new ConfigException(setting + ": " + path + " is not an absolute path");
        }
        try {
            Object rootDevice = Files.getAttribute(root, "unix:dev", LinkOption.NOFOLLOW_LINKS);
            Path current = root;
            for (Path name : path.normalize()) {
                checkDirectory(current, setting, path);
                current = current.resolve(name.toString());
                if (Files.isSymbolicLink(current)) {
                    throw new ConfigException(setting + ": " + path + " goes through the symbolic link " + current);
                }
            }
            int mode = (Integer) Files.getAttribute(current, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            if ((mode & S_IFMT) != S_IFREG) {
                throw new ConfigException(setting + ": " + path + " is not a regular file");
            }
            requireRootOwned(current, mode, setting, path);
            if (executable && (mode & OWNER_EXECUTE) == 0) {
                throw new ConfigException(setting + ": " + path + " is not executable");
            }
            if (!rootDevice.equals(Files.getAttribute(current, "unix:dev", LinkOption.NOFOLLOW_LINKS))) {
                throw new ConfigException(setting + ": " + path + " is not on the image's root file system");
            }
            return path;
        } catch (IOException e) {
            throw new ConfigException(setting + ": cannot check " + path + ": " + e.getMessage(), e);
        }
    }

    private static void checkDirectory(Path dir, String setting, Path path) throws IOException, ConfigException {
        int mode = (Integer) Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if ((mode & S_IFMT) != S_IFDIR) {
            throw new ConfigException(setting + ": " + dir + " on the way to " + path + " is not a directory");
        }
        requireRootOwned(dir, mode, setting, path);
    }

    private static void requireRootOwned(Path file, int mode, String setting, Path path)
            throws IOException, ConfigException {
        int uid = (Integer) Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        if (uid != 0 || (mode & GROUP_OR_OTHER_WRITE) != 0) {
            throw new ConfigException(setting + ": " + path + " is not trusted: " + file + " is owned by uid " + uid
                    + " with mode " + Integer.toOctalString(mode & 07777)
                    + " (root-owned and writable only by root required)");
        }
    }
}
