package org.cvmagent.image.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.cvmagent.image.registry.Digest;
import org.cvmagent.image.registry.MediaTypes;
import org.cvmagent.image.registry.RegistryException;
import org.cvmagent.image.registry.VerifyingInputStream;
import org.cvmagent.image.testing.TarBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LayerStoreTest {
    @TempDir
    Path temp;
    private final NativeFs nativeFs = new NativeFs();
    private final AtomicInteger opens = new AtomicInteger();

    private LayerSource source(byte[] blob, Digest digest) {
        return () -> {
            opens.incrementAndGet();
            // Slow enough that concurrent callers overlap with the download.
            InputStream slow = new FilterInputStream(new ByteArrayInputStream(blob)) {
                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    sleep();
                    return super.read(b, off, Math.min(len, 4096));
                }
            };
            return new VerifyingInputStream(slow, digest, blob.length);
        };
    }

    private static void sleep() throws IOException {
        try {
            Thread.sleep(2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    private static byte[] layerTar() {
        return new TarBuilder().dir("etc", 0755).file("etc/hello", "hello").whiteout("etc/old").tar();
    }

    private void assertStoreHoldsNothingFor(LayerStore store, Digest d) throws IOException {
        assertTrue(store.find(d).isEmpty());
        assertFalse(Files.exists(store.root().resolve("layers/sha256").resolve(d.hex())));
        try (Stream<Path> s = Files.list(store.root().resolve("tmp"))) {
            assertEquals(0, s.count(), "no staging left");
        }
    }

    @Test
    void eachCompressionAndMediaTypeUnpacks() throws IOException {
        LayerStore store = LayerStore.open(temp, nativeFs, true);
        byte[] tar = layerTar();
        for (var c : List.of(
                new Object[] {MediaTypes.OCI_LAYER_TAR, tar},
                new Object[] {MediaTypes.OCI_LAYER_GZIP, TarBuilder.gzip(tar)},
                new Object[] {MediaTypes.DOCKER_LAYER_GZIP, TarBuilder.gzip(TarBuilder.gzip(tar).length > 0 ? tar : tar)},
                new Object[] {MediaTypes.OCI_LAYER_ZSTD, TarBuilder.zstd(tar)})) {
            byte[] blob = (byte[]) c[1];
            Digest d = Digest.sha256(blob);
            Layer layer = store.ensure(d, (String) c[0], source(blob, d), UnpackPolicy.defaults(true), LayerProgress.NONE)
                    .layer();
            assertEquals("hello", Files.readString(layer.diff().resolve("etc/hello")), (String) c[0]);
            assertEquals(List.of(new Whiteout("etc/old", false)), layer.whiteouts());
            assertEquals(Digest.sha256(tar), layer.diffId(), "diff_id: the uncompressed tar's digest");
            assertEquals(layer, store.find(d).orElseThrow(), "reloaded from disk the same");
        }
        Digest d = Digest.sha256(tar);
        RegistryException e = assertThrows(RegistryException.class, () -> LayerStore.open(temp.resolve("x"), nativeFs, true)
                .ensure(d, "application/vnd.oci.image.layer.v1.tar+lz4", source(tar, d), UnpackPolicy.defaults(true),
                        LayerProgress.NONE));
        assertEquals(RegistryException.Reason.UNSUPPORTED_MEDIA_TYPE, e.reason());
    }

    @Test
    void theDiffIdCoversPaddingAfterTheArchiveButNotWithoutLimit() throws IOException {
        LayerStore store = LayerStore.open(temp, nativeFs, true);
        byte[] tar = layerTar();
        byte[] padded = java.util.Arrays.copyOf(tar, tar.length + 1024 * 1024);
        byte[] blob = TarBuilder.gzip(padded);
        Digest d = Digest.sha256(blob);
        Layer layer = store.ensure(d, MediaTypes.OCI_LAYER_GZIP, source(blob, d), UnpackPolicy.defaults(true),
                LayerProgress.NONE).layer();
        assertEquals(Digest.sha256(padded), layer.diffId());

        byte[] bomb = TarBuilder.gzip(java.util.Arrays.copyOf(tar,
                tar.length + (int) DiffIdInputStream.MAX_TRAILING_BYTES + 65536)); // beyond the 10 KiB tar record
        Digest b = Digest.sha256(bomb);
        UnsafeLayerException e = assertThrows(UnsafeLayerException.class, () -> store.ensure(b,
                MediaTypes.OCI_LAYER_GZIP, () -> new VerifyingInputStream(new ByteArrayInputStream(bomb), b, bomb.length),
                UnpackPolicy.defaults(true), LayerProgress.NONE));
        assertEquals(UnsafeLayerException.Kind.LIMIT, e.kind(), e.getMessage());
        assertStoreHoldsNothingFor(store, b);
    }

    @Test
    void concurrentEnsuresOfOneDigestDownloadOnce() throws Exception {
        LayerStore store = LayerStore.open(temp, nativeFs, true);
        byte[] blob = TarBuilder.gzip(new TarBuilder().file("big", new byte[400_000], 0644, 0, 0).tar());
        Digest d = Digest.sha256(blob);
        List<Future<LayerStore.Ensured>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 8; i++) {
                results.add(pool.submit(() -> store.ensure(d, MediaTypes.OCI_LAYER_GZIP, source(blob, d),
                        UnpackPolicy.defaults(true), LayerProgress.NONE)));
            }
        }
        int downloaded = 0;
        for (Future<LayerStore.Ensured> f : results) {
            downloaded += f.get().downloaded() ? 1 : 0;
            assertEquals(400_000, Files.size(f.get().layer().diff().resolve("big")));
        }
        assertEquals(1, opens.get(), "one download");
        assertEquals(1, downloaded);
    }

    @Test
    void aTruncatedLayerIsRefusedAndLeavesNothing() throws IOException {
        LayerStore store = LayerStore.open(temp, nativeFs, true);
        byte[] full = TarBuilder.gzip(new TarBuilder().file("big", new byte[200_000], 0644, 0, 0).file("b", "b").tar());
        byte[] truncated = Arrays.copyOf(full, full.length / 2);
        Digest d = Digest.sha256(truncated);
        RegistryException e = assertThrows(RegistryException.class, () -> store.ensure(d, MediaTypes.OCI_LAYER_GZIP,
                source(truncated, d), UnpackPolicy.defaults(true), LayerProgress.NONE));
        assertEquals(RegistryException.Reason.INVALID, e.reason(), e.getMessage());
        assertStoreHoldsNothingFor(store, d);
    }

    @Test
    void contentNotMatchingTheDigestIsRefusedAndLeavesNothing() throws IOException {
        LayerStore store = LayerStore.open(temp, nativeFs, true);
        byte[] blob = layerTar();
        Digest other = Digest.sha256(new byte[] {1});
        RegistryException e = assertThrows(RegistryException.class, () -> store.ensure(other, MediaTypes.OCI_LAYER_TAR,
                source(blob, other), UnpackPolicy.defaults(true), LayerProgress.NONE));
        assertEquals(RegistryException.Reason.DIGEST_MISMATCH, e.reason());
        assertStoreHoldsNothingFor(store, other);
    }

    @Test
    void anUnsafeLayerLeavesNothing() throws IOException {
        LayerStore store = LayerStore.open(temp.resolve("store"), nativeFs, true);
        byte[] blob = new TarBuilder().file("ok", "ok").symlink("up", "..").file("up/escape", "x").tar();
        Digest d = Digest.sha256(blob);
        assertThrows(UnsafeLayerException.class, () -> store.ensure(d, MediaTypes.OCI_LAYER_TAR, source(blob, d),
                UnpackPolicy.defaults(true), LayerProgress.NONE));
        assertStoreHoldsNothingFor(store, d);
        try (Stream<Path> s = Files.walk(temp)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().equals("escape")));
        }
    }

    @Test
    void reopeningAfterACrashRemovesStagingAndUnmarkedLayersAndARepullWorks() throws IOException {
        byte[] blob = layerTar();
        Digest d = Digest.sha256(blob);
        LayerStore.open(temp, nativeFs, true);
        // What a kill leaves: a half-unpacked staging dir, and a renamed layer whose marker was never written.
        Files.createDirectories(temp.resolve("tmp/" + d.hex().substring(0, 12) + "-1/diff/etc"));
        Files.writeString(temp.resolve("tmp/" + d.hex().substring(0, 12) + "-1/diff/etc/hel"), "he");
        Path renamed = Files.createDirectories(temp.resolve("layers/sha256").resolve(d.hex()).resolve("diff"));
        Files.writeString(renamed.resolve("partial"), "p");

        LayerStore reopened = LayerStore.open(temp, nativeFs, true);
        assertStoreHoldsNothingFor(reopened, d);
        Layer layer = reopened.ensure(d, MediaTypes.OCI_LAYER_TAR, source(blob, d), UnpackPolicy.defaults(true),
                LayerProgress.NONE).layer();
        assertEquals("hello", Files.readString(layer.diff().resolve("etc/hello")));
        assertFalse(Files.exists(layer.diff().resolve("partial")));
        assertTrue(Files.isRegularFile(temp.resolve("layers/sha256").resolve(d.hex()).resolve("complete")));
        assertTrue(LayerStore.open(temp, nativeFs, true).find(d).isPresent(), "a complete layer survives reopening");
        Files.delete(temp.resolve("layers/sha256").resolve(d.hex()).resolve("diff-id"));
        assertStoreHoldsNothingFor(LayerStore.open(temp, nativeFs, true), d);
    }

    @Test
    void aDownloadThatDiesMidwayLeavesNothing() throws IOException {
        LayerStore store = LayerStore.open(temp, nativeFs, true);
        byte[] blob = TarBuilder.gzip(new TarBuilder().file("big", new byte[300_000], 0644, 0, 0).tar());
        Digest d = Digest.sha256(blob);
        LayerSource dying = () -> new VerifyingInputStream(new FilterInputStream(new ByteArrayInputStream(blob)) {
            private int read;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (read > blob.length / 2) {
                    throw new IOException("connection reset");
                }
                int n = super.read(b, off, Math.min(len, 1024));
                read += Math.max(n, 0);
                return n;
            }
        }, d, blob.length);
        RegistryException e = assertThrows(RegistryException.class, () -> store.ensure(d, MediaTypes.OCI_LAYER_GZIP,
                dying, UnpackPolicy.defaults(true), LayerProgress.NONE));
        assertEquals(RegistryException.Reason.NETWORK, e.reason(), e.getMessage());
        assertStoreHoldsNothingFor(store, d);
    }

    @Test
    void blobsAreVerifiedOnTheWayInAndOut() throws IOException {
        LayerStore store = LayerStore.open(temp, nativeFs, true);
        byte[] config = "{\"config\":{}}".getBytes();
        Digest d = Digest.sha256(config);
        store.putBlob(d, config);
        assertEquals(new String(config), new String(store.readBlob(d).orElseThrow()));
        assertThrows(RegistryException.class, () -> store.putBlob(Digest.sha256(new byte[] {2}), config));
        Files.writeString(temp.resolve("blobs/sha256").resolve(d.hex()), "tampered");
        assertThrows(RegistryException.class, () -> store.readBlob(d));
    }
}
