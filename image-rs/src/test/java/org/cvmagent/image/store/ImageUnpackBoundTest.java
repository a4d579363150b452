package org.cvmagent.image.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.cvmagent.image.registry.Digest;
import org.cvmagent.image.registry.MediaTypes;
import org.cvmagent.image.registry.VerifyingInputStream;
import org.cvmagent.image.testing.TarBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-image bound on what layers unpack to: a gzip bomb (a small, well-hashed layer that
 * expands far beyond the bound) is refused naming the layer, with nothing of it left in the store.
 */
class ImageUnpackBoundTest {

    private static final int MIB = 1 << 20;

    @TempDir
    Path temp;

    private static byte[] fileOf(int size) {
        return new byte[size];
    }

    private static LayerSource source(byte[] blob) {
        Digest digest = Digest.sha256(blob);
        return () -> new VerifyingInputStream(new ByteArrayInputStream(blob), digest, blob.length);
    }

    @Test
    void aGzipBombIsRefusedNamingTheLayerAndLeavesNothing() throws Exception {
        byte[] bomb = TarBuilder.gzip(new TarBuilder().dir("a", 0755)
                .file("a/zeros", fileOf(64 * MIB), 0644, 0, 0).tar());
        assertTrue(bomb.length < MIB / 4, "small compressed: " + bomb.length);
        Digest digest = Digest.sha256(bomb);
        LayerStore store = LayerStore.open(temp.resolve("store"), new NativeFs(), false);
        ImageUnpackBudget image = new ImageUnpackBudget(new ImageLimits(16L * MIB, 1000));
        UnsafeLayerException e = assertThrows(UnsafeLayerException.class, () -> store.ensure(digest,
                MediaTypes.OCI_LAYER_GZIP, source(bomb), UnpackPolicy.defaults(false), image, LayerProgress.NONE));
        assertEquals(UnsafeLayerException.Kind.LIMIT, e.kind());
        assertTrue(e.getMessage().contains(digest.toString()) && e.getMessage().contains("per-image bound"),
                e.getMessage());
        assertTrue(store.find(digest).isEmpty());
        assertNothingUnder(temp.resolve("store/tmp"));
        assertNothingUnder(temp.resolve("store/layers"));
        assertEquals(0, image.bytes(), "the failed layer's charge is given back");
    }

    @Test
    void theBoundIsOverAllLayersOfTheImage() throws Exception {
        byte[] first = TarBuilder.gzip(new TarBuilder().file("one", fileOf(10 * MIB), 0644, 0, 0).tar());
        byte[] second = TarBuilder.gzip(new TarBuilder().file("two", fileOf(10 * MIB), 0644, 0, 0).tar());
        LayerStore store = LayerStore.open(temp.resolve("store"), new NativeFs(), false);
        ImageUnpackBudget image = new ImageUnpackBudget(new ImageLimits(16L * MIB, 1000));
        store.ensure(Digest.sha256(first), MediaTypes.OCI_LAYER_GZIP, source(first), UnpackPolicy.defaults(false),
                image, LayerProgress.NONE);
        UnsafeLayerException e = assertThrows(UnsafeLayerException.class, () -> store.ensure(Digest.sha256(second),
                MediaTypes.OCI_LAYER_GZIP, source(second), UnpackPolicy.defaults(false), image, LayerProgress.NONE));
        assertTrue(e.getMessage().contains(Digest.sha256(second).toString()), e.getMessage());
        assertTrue(store.find(Digest.sha256(first)).isPresent(), "the layer within the bound is kept");
        assertNothingUnder(temp.resolve("store/tmp"));
        // another image has a bound of its own
        store.ensure(Digest.sha256(second), MediaTypes.OCI_LAYER_GZIP, source(second), UnpackPolicy.defaults(false),
                new ImageUnpackBudget(new ImageLimits(16L * MIB, 1000)), LayerProgress.NONE);
    }

    @Test
    void tooManyEntriesAreRefused() throws Exception {
        TarBuilder many = new TarBuilder();
        for (int i = 0; i < 200; i++) {
            many.file("f" + i, "x");
        }
        byte[] layer = TarBuilder.gzip(many.tar());
        LayerStore store = LayerStore.open(temp.resolve("store"), new NativeFs(), false);
        UnsafeLayerException e = assertThrows(UnsafeLayerException.class, () -> store.ensure(Digest.sha256(layer),
                MediaTypes.OCI_LAYER_GZIP, source(layer), UnpackPolicy.defaults(false),
                new ImageUnpackBudget(new ImageLimits(MIB, 100)), LayerProgress.NONE));
        assertTrue(e.getMessage().contains("more than 100 entries"), e.getMessage());
        assertNothingUnder(temp.resolve("store/tmp"));
    }

    @Test
    void defaultsAreHalfOfRamAndAnInodePerTwoPages() throws Exception {
        Path meminfo = Files.writeString(temp.resolve("meminfo"),
                "MemTotal:        2097152 kB\nMemFree:          100000 kB\n");
        ImageLimits limits = ImageLimits.fromMeminfo(meminfo);
        assertEquals(1L << 30, limits.maxBytes());
        assertEquals(262_144, limits.maxEntries());
        Path broken = Files.writeString(temp.resolve("broken"), "MemFree: 1 kB\n");
        assertThrows(IOException.class, () -> ImageLimits.fromMeminfo(broken));
    }

    /** No file of any kind below {@code dir} (directories of the store's layout may stay). */
    private static void assertNothingUnder(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            java.util.List<Path> left = files.filter(p -> !Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                    .toList();
            assertTrue(left.isEmpty(), "left behind: " + left);
        }
        try (Stream<Path> entries = Files.list(dir)) {
            java.util.List<Path> staged = entries.filter(p -> dir.getFileName().toString().equals("tmp")).toList();
            assertTrue(staged.isEmpty(), "staging left behind: " + staged);
        }
    }
}
