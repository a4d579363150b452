package org.cvmagent.image.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.cvmagent.image.store.UnsafeLayerException.Kind;
import org.cvmagent.image.testing.TarBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hand-built hostile and ordinary layer tars (these tests run as root, as the agent does). */
class LayerUnpackerTest {
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
    @TempDir
    Path temp;
    private Path layer;
    private Path outside;
    private final NativeFs nativeFs = new NativeFs();
    private final LayerUnpacker unpacker = new LayerUnpacker(nativeFs, true);

    @BeforeEach
    void setUp() throws IOException {
        assertEquals("root", System.getProperty("user.name"), "these tests need root (ownership, devices)");
        layer = Files.createDirectories(temp.resolve("store/layer"));
        outside = Files.createDirectories(temp.resolve("outside"));
        Files.writeString(outside.resolve("target"), "untouched");
    }

    private UnpackResult unpack(byte[] tar, UnpackPolicy policy) throws IOException {
        return unpacker.unpack(new ByteArrayInputStream(tar), layer, policy);
    }

    private UnpackResult unpack(byte[] tar) throws IOException {
        return unpack(tar, UnpackPolicy.defaults(true));
    }

    private Set<Path> everythingOutsideTheLayer() throws IOException {
        try (Stream<Path> s = Files.walk(temp)) {
            return s.filter(p -> !p.startsWith(layer)).collect(Collectors.toSet());
        }
    }

    private void assertRejected(byte[] tar, Kind kind) throws IOException {
        assertRejected(tar, kind, UnpackPolicy.defaults(true));
    }

    private void assertRejected(byte[] tar, Kind kind, UnpackPolicy policy) throws IOException {
        Set<Path> before = everythingOutsideTheLayer();
        UnsafeLayerException e = assertThrows(UnsafeLayerException.class, () -> unpack(tar, policy));
        assertEquals(kind, e.kind(), e.getMessage());
        assertEquals(before, everythingOutsideTheLayer(), "nothing created or removed outside the layer");
        assertEquals("untouched", Files.readString(outside.resolve("target")));
        assertFalse(Files.exists(Path.of("/escape")), "nothing at the file system root");
    }

    @Test
    void dotDotNamesAreRefused() throws IOException {
        assertRejected(new TarBuilder().file("../escape", "x").tar(), Kind.PATH_ESCAPE);
        assertRejected(new TarBuilder().file("a/../../outside/target", "x").tar(), Kind.PATH_ESCAPE);
        assertRejected(new TarBuilder().dir("..", 0755).tar(), Kind.PATH_ESCAPE);
    }

    @Test
    void absoluteNamesAreRefused() throws IOException {
        assertRejected(new TarBuilder().file("/escape", "x").tar(), Kind.PATH_ESCAPE);
        assertRejected(new TarBuilder().file(outside.resolve("target").toString(), "x").tar(), Kind.PATH_ESCAPE);
    }

    @Test
    void nothingIsWrittenThroughASymlink() throws IOException {
        assertRejected(new TarBuilder().symlink("root", "/").file("root/escape", "x").tar(), Kind.PATH_ESCAPE);
        assertRejected(new TarBuilder().symlink("out", outside.toString()).file("out/target", "x").tar(),
                Kind.PATH_ESCAPE);
        assertRejected(new TarBuilder().symlink("rel", "../../outside").file("rel/new", "x").tar(), Kind.PATH_ESCAPE);
        assertRejected(new TarBuilder().symlink("d", outside.toString()).dir("d/sub", 0755).tar(), Kind.PATH_ESCAPE);
    }

    @Test
    void aFileOverASymlinkReplacesTheLinkInsteadOfFollowingIt() throws IOException {
        unpack(new TarBuilder().symlink("f", outside.resolve("target").toString()).file("f", "inside").tar());
        assertFalse(Files.isSymbolicLink(layer.resolve("f")));
        assertEquals("inside", Files.readString(layer.resolve("f")));
        assertEquals("untouched", Files.readString(outside.resolve("target")));
    }

    @Test
    void hardlinksMustStayInside() throws IOException {
        assertRejected(new TarBuilder().hardlink("passwd", "/etc/passwd").tar(), Kind.PATH_ESCAPE);
        assertRejected(new TarBuilder().hardlink("t", "../../outside/target").tar(), Kind.PATH_ESCAPE);
        assertRejected(new TarBuilder().symlink("etc", "/etc").hardlink("p", "etc/passwd").tar(), Kind.PATH_ESCAPE);
        assertRejected(new TarBuilder().hardlink("missing", "nope").tar(), Kind.INVALID_ENTRY);
    }

    @Test
    void devicesOnlyWhenAllowed() throws IOException {
        assertRejected(new TarBuilder().charDevice("dev/mem", 1, 1, 0600).tar(), Kind.DEVICE_NOT_ALLOWED,
                UnpackPolicy.defaults(true).withDevices(false));
    }

    @Test
    void gzipBombHitsTheSizeLimit() throws IOException {
        byte[] zeros = new byte[64 << 20];
        byte[] bomb = TarBuilder.gzip(new TarBuilder().file("zeros", zeros, 0644, 0, 0).tar());
        assertTrue(bomb.length < 200_000, "the bomb is small: " + bomb.length);
        Set<Path> before = everythingOutsideTheLayer();
        UnsafeLayerException e = assertThrows(UnsafeLayerException.class, () -> unpacker.unpack(
                Compression.GZIP.decompress(new ByteArrayInputStream(bomb)), layer,
                UnpackPolicy.defaults(true).withLimits(8 << 20, 1000)));
        assertEquals(Kind.LIMIT, e.kind());
        assertEquals(before, everythingOutsideTheLayer());
    }

    @Test
    void tooManyEntriesHitTheEntryLimit() throws IOException {
        TarBuilder b = new TarBuilder();
        for (int i = 0; i < 200; i++) {
            b.file("f" + i, "");
        }
        assertRejected(b.tar(), Kind.LIMIT, UnpackPolicy.defaults(true).withLimits(1 << 20, 100));
    }

    @Test
    void overlayXattrsFromALayerAreRefused() throws IOException {
        assertRejected(new TarBuilder().fileWithXattr("f", "x", "trusted.overlay.redirect", "/etc").tar(),
                Kind.INVALID_ENTRY);
    }

    @Test
    void modesOwnershipDevicesFifosLinksXattrsAndTimesAreKept() throws IOException {
        UnpackResult r = unpack(new TarBuilder()
                .dir("bin", 0755)
                .file("bin/su", "su".getBytes(StandardCharsets.UTF_8), 04755, 0, 0)
                .file("home/user/notes", "n".getBytes(StandardCharsets.UTF_8), 0600, 1000, 1001)
                .hardlink("home/user/notes2", "home/user/notes")
                .symlink("bin/sh", "busybox")
                .charDevice("dev/null", 1, 3, 0666)
                .fifo("run/pipe", 0620)
                .fileWithXattr("cap", "c", "user.test", "value")
                .dir("locked", 0500)
                .file("locked/inside", "i")
                .tar());
        assertEquals(10, r.entries());
        assertEquals(04755, (int) Files.getAttribute(layer.resolve("bin/su"), "unix:mode") & 07777);
        assertEquals(1000, Files.getAttribute(layer.resolve("home/user/notes"), "unix:uid"));
        assertEquals(1001, Files.getAttribute(layer.resolve("home/user/notes"), "unix:gid"));
        assertEquals(0600, (int) Files.getAttribute(layer.resolve("home/user/notes"), "unix:mode") & 07777);
        assertEquals(Files.getAttribute(layer.resolve("home/user/notes"), "unix:ino"),
                Files.getAttribute(layer.resolve("home/user/notes2"), "unix:ino"), "hardlink shares the inode");
        assertEquals("busybox", Files.readSymbolicLink(layer.resolve("bin/sh")).toString());
        int devMode = (int) Files.getAttribute(layer.resolve("dev/null"), "unix:mode");
        assertEquals(0020000, devMode & 0170000, "character device");
        assertEquals(NativeFs.makedev(1, 3), (long) Files.getAttribute(layer.resolve("dev/null"), "unix:rdev"));
        assertEquals(0010000, (int) Files.getAttribute(layer.resolve("run/pipe"), "unix:mode") & 0170000, "fifo");
        assertArrayEquals("value".getBytes(StandardCharsets.UTF_8), nativeFs.lgetxattr(layer.resolve("cap"), "user.test"));
        assertEquals(0500, (int) Files.getAttribute(layer.resolve("locked"), "unix:mode") & 07777);
        assertEquals(TarBuilder.MTIME, Files.getLastModifiedTime(layer.resolve("bin"), NOFOLLOW), "dir mtime set last");
        assertEquals(TarBuilder.MTIME, Files.getLastModifiedTime(layer.resolve("bin/su"), NOFOLLOW));
        assertEquals(TarBuilder.MTIME, Files.getLastModifiedTime(layer.resolve("bin/sh"), NOFOLLOW));
    }

    @Test
    void whiteoutsAreRecordedAndMarkedForOverlay() throws IOException {
        UnpackResult r = unpack(new TarBuilder().dir("etc", 0755).whiteout("etc/gone").opaque("var/cache")
                .file("var/cache/fresh", "f").file(".wh..wh.plnk/123", "").file(".wh..wh.aufs", "").tar());
        assertEquals(List.of(new Whiteout("etc/gone", false), new Whiteout("var/cache", true)), r.whiteouts());
        Path marker = layer.resolve("etc/gone");
        assertEquals(0020000, (int) Files.getAttribute(marker, "unix:mode") & 0170000);
        assertEquals(0L, (long) Files.getAttribute(marker, "unix:rdev"));
        assertArrayEquals("y".getBytes(StandardCharsets.US_ASCII), nativeFs.lgetxattr(layer.resolve("var/cache"),
                "trusted.overlay.opaque"));
        assertFalse(Files.exists(layer.resolve("etc/.wh.gone"), NOFOLLOW));
        assertFalse(Files.exists(layer.resolve("var/cache/.wh..wh..opq"), NOFOLLOW));
        assertFalse(Files.exists(layer.resolve(".wh..wh.plnk"), NOFOLLOW), "aufs metadata is not content");
        assertFalse(Files.exists(layer.resolve(".wh..wh.aufs"), NOFOLLOW));
    }
}
