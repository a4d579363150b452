package org.cvmagent.agent.storage;

import org.cvmagent.agent.fs.OpenFd;

import java.io.IOException;

/**
 * Performs kata's storage mounts ({@code baremount}, kata-sys-util's {@code Mount::mount}) with the
 * kernel's detached-mount API: the mount is built off to the side (a new filesystem through
 * fsopen/fsconfig/fsmount, or a bind through open_tree), given its flags and propagation with
 * mount_setattr, and only then attached with move_mount onto the mount point directory the agent
 * holds open beneath the sandbox root.
 *
 * <p>Why not mount(2) on {@code /proc/self/fd/N}: that attaches fine, but the follow-up calls kata
 * makes (the propagation change, the read-only remount a bind needs) must name the new mount's root,
 * and {@code /proc/self/fd/N} names the covered directory; reopening the mount by name would let a
 * host renaming directories choose which mount gets changed. Here every step works on descriptors,
 * nothing is visible until it is complete, and a failure leaves nothing attached.
 */
public final class Mounter {

    private final MountLibc libc;

    Mounter(MountLibc libc) {
        this.libc = libc;
    }

    /** A mounter over the C library the JVM runs on. */
    public static Mounter load() {
        return new Mounter(MountLibc.load());
    }

    MountLibc libc() {
        return libc;
    }

    /**
     * Mounts {@code source} of type {@code fstype} onto {@code target} with {@code options}. With
     * MS_BIND among the options (or fstype {@code bind}), {@code source} is a path whose mount tree
     * is bound (MS_REC: with its submounts).
     *
     * @throws IllegalArgumentException for MS_REMOUNT: a storage is always a new mount
     * @throws IOException naming source, target and the errno text when a call fails; nothing is
     *         attached then
     */
    public void mount(String source, OpenFd target, String fstype, MountOptions options) throws IOException {
        try (Descriptor detached = detached(source, fstype, options)) {
            attach(detached, target);
        }
    }

    /**
     * Builds the mount without attaching it. The caller may fill it through
     * {@link Descriptor#procPath()} (which names the new mount's root) before {@link #attach}.
     */
    Descriptor detached(String source, String fstype, MountOptions options) throws IOException {
        if ((options.flags() & MountOptions.MS_REMOUNT) != 0) {
            throw new IllegalArgumentException("remount is not supported for storage: it is always a new mount");
        }
        String what = "mounting " + quote(source) + " (" + fstype + ")";
        boolean recursive = (options.flags() & MountOptions.MS_REC) != 0;
        Descriptor mount;
        if (options.bind() || fstype.equals("bind")) {
            int fd = libc.openTree(source, MountLibc.OPEN_TREE_CLONE | MountLibc.OPEN_TREE_CLOEXEC
                    | (recursive ? MountLibc.AT_RECURSIVE : 0));
            check(fd, what + ": cloning the source tree");
            mount = new Descriptor(libc, fd, "bind of " + source);
        } else {
            mount = newFilesystem(source, fstype, options, what);
        }
        try {
            setAttributes(mount, options, recursive, what);
        } catch (IOException | RuntimeException e) {
            closeAfterFailure(mount, e);
            throw e;
        }
        return mount;
    }

    /** Attaches a detached mount on top of the directory {@code target} pins. */
    void attach(Descriptor detached, OpenFd target) throws IOException {
        check(libc.moveMount(detached.number(), target.number()), "attaching " + detached + " on " + target);
    }

    /**
     * Unmounts the topmost mount on the directory {@code target} pins (the kernel follows mounts on
     * the last component of an unmount path, so the magic link reaches the mount, not the covered
     * directory). Descriptors open inside the mount make it busy (EBUSY).
     */
    public void unmount(OpenFd target) throws IOException {
        check(libc.umount2(procPath(target), 0), "unmounting " + target);
    }

    /** The magic link naming exactly the inode {@code fd} pins. */
    static String procPath(OpenFd fd) {
        return "/proc/self/fd/" + fd.number();
    }

    private Descriptor newFilesystem(String source, String fstype, MountOptions options, String what)
            throws IOException {
        int fsfd = libc.fsopen(fstype);
        check(fsfd, what + ": opening a filesystem context");
        try (Descriptor context = new Descriptor(libc, fsfd, fstype + " filesystem context")) {
            check(libc.fsconfigString(fsfd, "source", source), what + ": setting the source");
            for (String item : options.data().isEmpty() ? new String[0] : options.data().split(",")) {
                int eq = item.indexOf('=');
                int r = eq < 0 ? libc.fsconfigFlag(fsfd, item)
                        : libc.fsconfigString(fsfd, item.substring(0, eq), item.substring(eq + 1));
                check(r, what + ": option " + quote(item));
            }
            // Superblock flags that mount(2) takes as MS_* flags are fsconfig flags here.
            long flags = options.flags();
            setFlag(fsfd, flags, MountOptions.MS_RDONLY, "ro", what);
            setFlag(fsfd, flags, MountOptions.MS_SYNCHRONOUS, "sync", what);
            setFlag(fsfd, flags, MountOptions.MS_DIRSYNC, "dirsync", what);
            setFlag(fsfd, flags, MountOptions.MS_MANDLOCK, "mand", what);
            check(libc.fsconfigCreate(fsfd), what + ": creating the filesystem");
            int fd = libc.fsmount(fsfd, 0);
            check(fd, what + ": creating the mount");
            return new Descriptor(libc, fd, fstype + " mount of " + source);
        }
    }

    private void setFlag(int fsfd, long flags, long flag, String key, String what) throws IOException {
        if ((flags & flag) != 0) {
            check(libc.fsconfigFlag(fsfd, key), what + ": flag " + key);
        }
    }

    /** The per-mount flags and the propagation, as mount(2) would have applied them. */
    private void setAttributes(Descriptor mount, MountOptions options, boolean recursive, String what)
            throws IOException {
        long flags = options.flags();
        long set = 0;
        long clear = 0;
        if ((flags & MountOptions.MS_RDONLY) != 0) {
            set |= MountLibc.MOUNT_ATTR_RDONLY;
        }
        if ((flags & MountOptions.MS_NOSUID) != 0) {
            set |= MountLibc.MOUNT_ATTR_NOSUID;
        }
        if ((flags & MountOptions.MS_NODEV) != 0) {
            set |= MountLibc.MOUNT_ATTR_NODEV;
        }
        if ((flags & MountOptions.MS_NOEXEC) != 0) {
            set |= MountLibc.MOUNT_ATTR_NOEXEC;
        }
        if ((flags & MountOptions.MS_NODIRATIME) != 0) {
            set |= MountLibc.MOUNT_ATTR_NODIRATIME;
        }
        // The atime mode is one value in a field; mount(2) lets noatime win, then strictatime.
        if ((flags & MountOptions.MS_NOATIME) != 0) {
            set |= MountLibc.MOUNT_ATTR_NOATIME;
            clear |= MountLibc.MOUNT_ATTR_ATIME_MASK;
        } else if ((flags & MountOptions.MS_STRICTATIME) != 0) {
            set |= MountLibc.MOUNT_ATTR_STRICTATIME;
            clear |= MountLibc.MOUNT_ATTR_ATIME_MASK;
        } else if ((flags & MountOptions.MS_RELATIME) != 0) {
            set |= MountLibc.MOUNT_ATTR_RELATIME;
            clear |= MountLibc.MOUNT_ATTR_ATIME_MASK;
        }
        long propagation = propagation(flags);
        if (set == 0 && clear == 0 && propagation == 0) {
            return;
        }
        check(libc.mountSetattr(mount.number(), recursive ? MountLibc.AT_RECURSIVE : 0, set, clear, propagation),
                what + ": setting mount attributes");
    }

    /** mount_setattr takes one propagation type; asking for several at once is a contradiction. */
    private static long propagation(long flags) {
        long asked = flags & MountOptions.PROPAGATION;
        if (Long.bitCount(asked) > 1) {
            throw new IllegalArgumentException("conflicting propagation options (flags 0x" + Long.toHexString(asked) + ")");
        }
        return asked;
    }

    private void check(int result, String what) throws IOException {
        if (result < 0) {
            throw libc.failure(what, result);
        }
    }

    private static void closeAfterFailure(Descriptor descriptor, Exception primary) {
        try {
            descriptor.close();
        } catch (IOException e) {
            primary.addSuppressed(e);
        }
    }

    private static String quote(String s) {
        return '"' + s + '"';
    }
}
