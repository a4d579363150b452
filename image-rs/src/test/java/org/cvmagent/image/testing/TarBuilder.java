package org.cvmagent.image.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/** Builds layer tars by hand, hostile ones included (names are written exactly as given). */
public final class TarBuilder {
    public static final FileTime MTIME = FileTime.from(Instant.parse("2024-01-02T03:04:05Z"));
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final TarArchiveOutputStream tar;

    public TarBuilder() {
        tar = new TarArchiveOutputStream(bytes, StandardCharsets.UTF_8.name());
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setAddPaxHeadersForNonAsciiNames(true);
    }

    private TarArchiveEntry entry(String name, byte flag) {
        // The (String, byte, boolean) constructor keeps names as given: no stripping of '/' or '..'.
        TarArchiveEntry e = new TarArchiveEntry(name, flag, true);
        e.setLastModifiedTime(MTIME);
        return e;
    }

    public TarBuilder dir(String name, int mode) {
        return dir(name, mode, 0, 0);
    }

    public TarBuilder dir(String name, int mode, int uid, int gid) {
        TarArchiveEntry e = entry(name.endsWith("/") ? name : name + "/", TarConstants.LF_DIR);
        e.setMode(mode);
        e.setUserId(uid);
        e.setGroupId(gid);
        return put(e, null);
    }

    public TarBuilder file(String name, String content) {
        return file(name, content.getBytes(StandardCharsets.UTF_8), 0644, 0, 0);
    }

    public TarBuilder file(String name, byte[] content, int mode, int uid, int gid) {
        TarArchiveEntry e = entry(name, TarConstants.LF_NORMAL);
        e.setMode(mode);
        e.setUserId(uid);
        e.setGroupId(gid);
        e.setSize(content.length);
        return put(e, content);
    }

    /** A file with an extended attribute as a SCHILY.xattr PAX record. */
    public TarBuilder fileWithXattr(String name, String content, String xattr, String value) {
        TarArchiveEntry e = entry(name, TarConstants.LF_NORMAL);
        e.setMode(0644);
        byte[] c = content.getBytes(StandardCharsets.UTF_8);
        e.setSize(c.length);
        e.addPaxHeader("SCHILY.xattr." + xattr, value);
        return put(e, c);
    }

    public TarBuilder symlink(String name, String target) {
        TarArchiveEntry e = entry(name, TarConstants.LF_SYMLINK);
        e.setLinkName(target);
        e.setMode(0777);
        return put(e, null);
    }

    public TarBuilder hardlink(String name, String target) {
        TarArchiveEntry e = entry(name, TarConstants.LF_LINK);
        e.setLinkName(target);
        return put(e, null);
    }

    public TarBuilder charDevice(String name, int major, int minor, int mode) {
        TarArchiveEntry e = entry(name, TarConstants.LF_CHR);
        e.setDevMajor(major);
        e.setDevMinor(minor);
        e.setMode(mode);
        return put(e, null);
    }

    public TarBuilder fifo(String name, int mode) {
        TarArchiveEntry e = entry(name, TarConstants.LF_FIFO);
        e.setMode(mode);
        return put(e, null);
    }

    /** A whiteout for {@code path} ("dir/name" → "dir/.wh.name"). */
    public TarBuilder whiteout(String path) {
        int slash = path.lastIndexOf('/');
        String name = slash < 0 ? ".wh." + path : path.substring(0, slash + 1) + ".wh." + path.substring(slash + 1);
        return file(name, new byte[0], 0, 0, 0);
    }

    public TarBuilder opaque(String dir) {
        return file(dir + "/.wh..wh..opq", new byte[0], 0, 0, 0);
    }

    private TarBuilder put(TarArchiveEntry e, byte[] content) {
        try {
            tar.putArchiveEntry(e);
            if (content != null) {
                tar.write(content);
            }
            tar.closeArchiveEntry();
            return this;
        } catch (IOException x) {
            throw new UncheckedIOException(x);
        }
    }

    public byte[] tar() {
        try {
            tar.finish();
            tar.close();
            return bytes.toByteArray();
        } catch (IOException x) {
            throw new UncheckedIOException(x);
        }
    }

    public static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        } catch (IOException x) {
            throw new UncheckedIOException(x);
        }
        return out.toByteArray();
    }

    public static byte[] zstd(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream z = new io.airlift.compress.v3.zstd.ZstdJavaOutputStream(out)) {
            z.write(data);
        } catch (IOException x) {
            throw new UncheckedIOException(x);
        }
        return out.toByteArray();
    }
}
