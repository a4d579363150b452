package org.cvmagent.agent.storage;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Kata's fstab-style mount options split into mount(2) flags and the filesystem data string, with
 * kata-sys-util's {@code parse_mount_options} table: a known flag name sets or clears its flag in
 * order (so {@code ro,rw} ends read-write), {@code loop} is refused, and everything else is passed
 * to the filesystem as data, comma-joined.
 *
 * @param flags the MS_* flags, propagation flags included (see {@link #mainFlags})
 * @param data  the options the filesystem itself interprets, e.g. {@code size=64m,mode=0755}
 */
public record MountOptions(long flags, String data) {

    public static final long MS_RDONLY = 1;
    public static final long MS_NOSUID = 2;
    public static final long MS_NODEV = 4;
    public static final long MS_NOEXEC = 8;
    public static final long MS_SYNCHRONOUS = 16;
    public static final long MS_REMOUNT = 32;
    public static final long MS_MANDLOCK = 64;
    public static final long MS_DIRSYNC = 128;
    public static final long MS_NOATIME = 1024;
    public static final long MS_NODIRATIME = 2048;
    public static final long MS_BIND = 4096;
    public static final long MS_REC = 16384;
    public static final long MS_SILENT = 32768;
    public static final long MS_UNBINDABLE = 1L << 17;
    public static final long MS_PRIVATE = 1L << 18;
    public static final long MS_SLAVE = 1L << 19;
    public static final long MS_SHARED = 1L << 20;
    public static final long MS_RELATIME = 1L << 21;
    public static final long MS_I_VERSION = 1L << 23;
    public static final long MS_STRICTATIME = 1L << 24;

    /** Flags that change an existing mount's propagation: the kernel wants them in a call of their own. */
    public static final long PROPAGATION = MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE;

    /**
     * The kernel copies at most one page of mount data; kata refuses longer data rather than have it
     * cut short. 4096 is the page size on every architecture the agent supports by default.
     */
    static final int MAX_DATA_BYTES = 4096;

    /** Options that clear a flag. */
    private static final Map<String, Long> CLEARS = Map.ofEntries(
            Map.entry("async", MS_SYNCHRONOUS),
            Map.entry("atime", MS_NOATIME),
            Map.entry("dev", MS_NODEV),
            Map.entry("diratime", MS_NODIRATIME),
            Map.entry("exec", MS_NOEXEC),
            Map.entry("loud", MS_SILENT),
            Map.entry("noiversion", MS_I_VERSION),
            Map.entry("nomand", MS_MANDLOCK),
            Map.entry("norelatime", MS_RELATIME),
            Map.entry("nostrictatime", MS_STRICTATIME),
            Map.entry("rw", MS_RDONLY),
            Map.entry("suid", MS_NOSUID),
            // Names the default set; it changes nothing.
            Map.entry("defaults", 0L));

    /** Options that set flags. */
    private static final Map<String, Long> SETS = Map.ofEntries(
            Map.entry("bind", MS_BIND),
            Map.entry("dirsync", MS_DIRSYNC),
            Map.entry("iversion", MS_I_VERSION),
            Map.entry("mand", MS_MANDLOCK),
            Map.entry("noatime", MS_NOATIME),
            Map.entry("nodev", MS_NODEV),
            Map.entry("nodiratime", MS_NODIRATIME),
            Map.entry("noexec", MS_NOEXEC),
            Map.entry("nosuid", MS_NOSUID),
            Map.entry("rbind", MS_BIND | MS_REC),
            Map.entry("unbindable", MS_UNBINDABLE),
            Map.entry("runbindable", MS_UNBINDABLE | MS_REC),
            Map.entry("private", MS_PRIVATE),
            Map.entry("rprivate", MS_PRIVATE | MS_REC),
            Map.entry("shared", MS_SHARED),
            Map.entry("rshared", MS_SHARED | MS_REC),
            Map.entry("slave", MS_SLAVE),
            Map.entry("rslave", MS_SLAVE | MS_REC),
            Map.entry("relatime", MS_RELATIME),
            Map.entry("remount", MS_REMOUNT),
            Map.entry("ro", MS_RDONLY),
            Map.entry("silent", MS_SILENT),
            Map.entry("strictatime", MS_STRICTATIME),
            Map.entry("sync", MS_SYNCHRONOUS));

    public MountOptions {
        if (data == null) {
            throw new IllegalArgumentException("mount data must not be null (use \"\")");
        }
    }

    /**
     * Parses kata's option list.
     *
     * @throws IllegalArgumentException for {@code loop} (kata refuses it: the agent does not set up
     *         loop devices), an empty option, an option with a comma or NUL (it would smuggle extra
     *         options past this parser into the data string), or data longer than a page
     */
    public static MountOptions parse(List<String> options) {
        long flags = 0;
        List<String> data = new ArrayList<>();
        for (String option : options) {
            if (option.isEmpty()) {
                throw new IllegalArgumentException("empty mount option");
            }
            if (option.indexOf(',') >= 0 || option.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("mount option " + quote(option) + " contains ',' or NUL");
            }
            if (option.equals("loop")) {
                throw new IllegalArgumentException("mount option \"loop\" is not supported");
            }
            Long cleared = CLEARS.get(option);
            Long set = SETS.get(option);
            if (cleared != null) {
                flags &= ~cleared;
            } else if (set != null) {
                flags |= set;
            } else {
                data.add(option);
            }
        }
        String joined = String.join(",", data);
        int length = joined.getBytes(StandardCharsets.UTF_8).length;
        if (length >= MAX_DATA_BYTES) {
            throw new IllegalArgumentException("mount data is " + length + " bytes; at most "
                    + (MAX_DATA_BYTES - 1) + " fit the kernel's one-page buffer");
        }
        return new MountOptions(flags, joined);
    }

    /** The flags for the mount call itself: everything but the propagation change. */
    public long mainFlags() {
        return flags & ~PROPAGATION;
    }

    /** The flags for the separate propagation call, or 0 when none is asked for. */
    public long propagationFlags() {
        if ((flags & PROPAGATION) == 0) {
            return 0;
        }
        return flags & (PROPAGATION | MS_REC | MS_SILENT);
    }

    public boolean readOnly() {
        return (flags & MS_RDONLY) != 0;
    }

    public boolean bind() {
        return (flags & MS_BIND) != 0;
    }

    /** These options with {@code extra} set as well (e.g. MS_BIND for a bind fstype). */
    public MountOptions withFlags(long extra) {
        return new MountOptions(flags | extra, data);
    }

    private static String quote(String s) {
        return '"' + s + '"';
    }
}
