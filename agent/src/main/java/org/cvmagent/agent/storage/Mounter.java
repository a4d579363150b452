package org.cvmagent.agent.storage;

import org.cvmagent.agent.fs.OpenFd;

import java.io.IOException;

/**
 * Performs mounts onto directories the agent holds open, the way kata's {@code baremount} and
 * kata-sys-util's {@code Mount::mount} do: the main mount, then the propagation change in a call
 * of its own (the kernel ignores other flags in a propagation call and refuses propagation flags
 * mixed into a new mount), then a read-only remount for read-only binds (MS_BIND ignores MS_RDONLY
 * on the first call).
 *
 * <p>Every target is named as {@code /proc/self/fd/N} of an {@code O_PATH} descriptor obtained
 * beneath the sandbox root, so the mount lands on the directory that was checked, whatever the
 * host does to the names in between.
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
     * Mounts {@code source} of type {@code fstype} onto {@code target} with {@code options}.
     *
     * @throws IOException naming source, target and the errno text when a call fails; a main mount
     *         that succeeded is undone again before the exception leaves
     */
    public void mount(String source, OpenFd target, String fstype, MountOptions options) throws IOException {
        mount(source, procPath(target), target.toString(), fstype, options);
    }

    private void mount(String source, String path, String targetText, String fstype, MountOptions options)
            throws IOException {
        String what = "mounting " + quote(source) + " (" + fstype + ") on " + targetText;
        long main = options.mainFlags();
        boolean mounted = false;
        // A pure remount without new data only changes flags; kata skips the main call then.
        if ((main & MountOptions.MS_REMOUNT) == 0 || !options.data().isEmpty()) {
            check(libc.mount(source, path, fstype, main, options.data()), what);
            mounted = (main & MountOptions.MS_REMOUNT) == 0;
        }
        try {
            long propagation = options.propagationFlags();
            if (propagation != 0) {
                check(libc.mount("", path, "", propagation, ""), what + ": changing propagation");
            }
            long readOnlyBind = MountOptions.MS_BIND | MountOptions.MS_RDONLY;
            if ((main & readOnlyBind) == readOnlyBind && (main & MountOptions.MS_REMOUNT) == 0) {
                check(libc.mount("", path, "", main | MountOptions.MS_REMOUNT, ""), what + ": remounting read-only");
            }
        } catch (IOException | RuntimeException e) {
            if (mounted) {
                int r = libc.umount2(path, 0);
                if (r < 0) {
                    e.addSuppressed(libc.failure("undoing the mount on " + targetText, r));
                }
            }
            throw e;
        }
    }

    /**
     * Unmounts the topmost mount on the directory {@code target} pins (the kernel follows mounts on
     * the last component of an unmount path, so the magic link reaches the mount, not the covered
     * directory).
     */
    public void unmount(OpenFd target) throws IOException {
        check(libc.umount2(procPath(target), 0), "unmounting " + target);
    }

    /** The magic link naming exactly the inode {@code fd} pins. */
    static String procPath(OpenFd fd) {
        return "/proc/self/fd/" + fd.number();
    }

    private void check(int result, String what) throws IOException {
        if (result < 0) {
            throw libc.failure(what, result);
        }
    }

    private static String quote(String s) {
        return '"' + s + '"';
    }
}
