package org.cvmagent.image.store;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Fuzz target: registry bytes as a layer (the first byte picks plain tar or gzip) → the layer
 * unpacker, with small per-layer and per-image bounds. Refusing is fine (an IOException: an
 * unsafe layer, a broken archive); any other throwable is a finding, and so is anything created
 * outside the layer's directory or an image budget that keeps a failed layer's charge.
 *
 * <p>In {@code mvn test} this replays the saved inputs; {@code mvn verify} (and {@code bin/fuzz})
 * fuzz it with coverage for {@code fuzz.duration}.
 */
class LayerUnpackFuzzTest {

    private static final UnpackPolicy POLICY = UnpackPolicy.defaults(false).withLimits(1 << 20, 2_000);
    private static final ImageLimits IMAGE = new ImageLimits(512 << 10, 1_000);

    private static Path work;
    private static Path outside;
    private static List<Path> outsideBefore;
    private static final LayerUnpacker UNPACKER = new LayerUnpacker(new NativeFs(), false);

    @BeforeAll
    static void setUp() throws IOException {
        work = Files.createTempDirectory("layer-unpack-fuzz");
        outside = Files.createDirectories(work.resolve("outside"));
        Files.writeString(outside.resolve("sentinel"), "untouched");
        outsideBefore = listing(work);
    }

    @AfterAll
    static void tearDown() throws IOException {
        Trees.deleteRecursively(work);
    }

    @FuzzTest(maxDuration = "30s")
    void layerBytesAreUnpackedOrRefused(byte[] data) throws IOException {
        if (data.length == 0) {
            return;
        }
        Compression compression = (data[0] & 1) == 0 ? Compression.NONE : Compression.GZIP;
        Path root = Files.createDirectory(work.resolve("layer"));
        ImageUnpackBudget image = new ImageUnpackBudget(IMAGE);
        boolean unpacked;
        try (InputStream tar = compression.decompress(new ByteArrayInputStream(data, 1, data.length - 1))) {
            UNPACKER.unpack(tar, root, POLICY, image);
            unpacked = true;
        } catch (IOException refused) {
            unpacked = false;
        } finally {
            // the layer store removes a refused layer's directory the same way
            Trees.deleteRecursively(root);
        }
        if (!unpacked && (image.bytes() != 0 || image.entries() != 0)) {
            throw new AssertionError("a refused layer kept its charge: " + image.bytes() + " bytes, "
                    + image.entries() + " entries");
        }
        List<Path> after = listing(work);
        if (!after.equals(outsideBefore) || !Files.readString(outside.resolve("sentinel")).equals("untouched")) {
            throw new AssertionError("the layer wrote outside its directory: " + after);
        }
    }

    private static List<Path> listing(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            return all.sorted().toList();
        }
    }
}
