package org.cvmagent.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.cvmagent.image.bundle.ContainerRootfs;
import org.cvmagent.image.bundle.LayerCopier;
import org.cvmagent.image.bundle.Mounter;
import org.cvmagent.image.bundle.OverlaySupport;
import org.cvmagent.image.bundle.RootfsProvisioner;
import org.cvmagent.image.registry.Digest;
import org.cvmagent.image.registry.MediaTypes;
import org.cvmagent.image.registry.Platform;
import org.cvmagent.image.registry.RegistryClient;
import org.cvmagent.image.registry.RegistryConfig;
import org.cvmagent.image.store.LayerStore;
import org.cvmagent.image.store.NativeFs;
import org.cvmagent.image.testing.Commands;
import org.cvmagent.image.testing.CountingProxy;
import org.cvmagent.image.testing.LocalRegistry;
import org.cvmagent.image.testing.OciLayout;
import org.cvmagent.image.testing.TarBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Pulls from a real docker-registry, images pushed by skopeo from OCI layouts built here. */
class RegistryPullTest {
    @RegisterExtension
    static final LocalRegistry REGISTRY = new LocalRegistry();

    private static OciLayout.Written multi;
    private static OciLayout.Written multiArch;
    private static List<Digest> multiLayers;
    private static List<String> multiDiffIds;
    private static Digest corruptLayer;
    private static Digest hostileLayer;

    @TempDir
    Path temp;
    private CountingProxy proxy;
    private final NativeFs nativeFs = new NativeFs();

    @BeforeAll
    static void pushImages(@TempDir Path layouts) throws Exception {
        byte[] busybox = Files.readAllBytes(Path.of("/bin/busybox"));
        byte[] l1 = TarBuilder.gzip(new TarBuilder()
                .dir("bin", 0755).file("bin/busybox", busybox, 0755, 0, 0)
                .dir("etc", 0755).file("etc/a", "a").file("etc/b", "b")
                .dir("opt", 0755).dir("opt/d", 0750, 1000, 1000).file("opt/d/old1", "old")
                .tar());
        byte[] l2 = TarBuilder.zstd(new TarBuilder()
                .dir("etc", 0755).whiteout("etc/a")
                .dir("opt/d", 0750, 1000, 1000).opaque("opt/d").file("opt/d/new", "new")
                .tar());
        byte[] l3 = new TarBuilder()
                .file("etc/c", "c").symlink("bin/sh", "busybox")
                .tar();
        OciLayout layout = new OciLayout(layouts.resolve("multi"));
        List<OciLayout.Blob> layers = List.of(new OciLayout.Blob(MediaTypes.OCI_LAYER_GZIP, l1),
                new OciLayout.Blob(MediaTypes.OCI_LAYER_ZSTD, l2), new OciLayout.Blob(MediaTypes.OCI_LAYER_TAR, l3));
        multiLayers = layers.stream().map(OciLayout.Blob::digest).toList();
        multiDiffIds = new ArrayList<>();
        for (OciLayout.Blob b : layers) {
            multiDiffIds.add(OciLayout.diffId(b));
        }
        multi = layout.image(OciLayout.config("amd64", List.of("/bin/sh", "-c"), List.of("echo hi"),
                List.of("PATH=/bin", "A=image"), "/opt"), layers);
        layout.tag("v1", multi);
        REGISTRY.push(layout, "v1", "test/multi");

        OciLayout archLayout = new OciLayout(layouts.resolve("arch"));
        List<OciLayout.Written> images = new ArrayList<>();
        for (String arch : List.of("arm64", "amd64")) {
            byte[] layer = TarBuilder.gzip(new TarBuilder().file("arch", arch).tar());
            images.add(archLayout.image(OciLayout.config(arch, List.of(), List.of("/arch"), List.of(), ""),
                    List.of(new OciLayout.Blob(MediaTypes.OCI_LAYER_GZIP, layer))));
        }
        multiArch = archLayout.index(images, List.of("arm64", "amd64"));
        archLayout.tag("latest", multiArch);
        REGISTRY.push(archLayout, "latest", "test/arch");

        OciLayout corruptLayout = new OciLayout(layouts.resolve("corrupt"));
        byte[] big = new byte[300_000];
        new java.util.Random(7).nextBytes(big);
        OciLayout.Blob blob = new OciLayout.Blob(MediaTypes.OCI_LAYER_GZIP,
                TarBuilder.gzip(new TarBuilder().file("big", big, 0644, 0, 0).tar()));
        corruptLayer = blob.digest();
        corruptLayout.tag("v1", corruptLayout.image(OciLayout.config("amd64", List.of(), List.of("/x"), List.of(), ""),
                List.of(blob)));
        REGISTRY.push(corruptLayout, "v1", "test/corrupt");

        OciLayout hostileLayout = new OciLayout(layouts.resolve("hostile"));
        OciLayout.Blob hostile = new OciLayout.Blob(MediaTypes.OCI_LAYER_GZIP, TarBuilder.gzip(new TarBuilder()
                .file("fine", "fine").symlink("up", "../../../../..").file("up/tmp/escaped-from-layer", "x").tar()));
        hostileLayer = hostile.digest();
        hostileLayout.tag("v1", hostileLayout.image(OciLayout.config("amd64", List.of(), List.of("/x"), List.of(), ""),
                List.of(hostile)));
        REGISTRY.push(hostileLayout, "v1", "test/hostile");

        // a well-formed layer whose unpacked content is not what the (signed) config says
        OciLayout lyingLayout = new OciLayout(layouts.resolve("lying"));
        OciLayout.Blob swapped = new OciLayout.Blob(MediaTypes.OCI_LAYER_GZIP,
                TarBuilder.gzip(new TarBuilder().file("payload", "not what was built").tar()));
        String builtDiffId = OciLayout.diffId(new OciLayout.Blob(MediaTypes.OCI_LAYER_TAR,
                new TarBuilder().file("payload", "what was built").tar()));
        lyingLayout.tag("v1", lyingLayout.image(configWithDiffIds(List.of(builtDiffId)), List.of(swapped)));
        lyingLayout.tag("short", lyingLayout.image(configWithDiffIds(List.of(OciLayout.diffId(swapped),
                builtDiffId)), List.of(swapped)));
        REGISTRY.push(lyingLayout, "v1", "test/lying");
        REGISTRY.push(lyingLayout, "short", "test/lying");
    }

    private static byte[] configWithDiffIds(List<String> diffIds) {
        return ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"/x\"]},"
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + String.join("\",\"", diffIds) + "\"]}}")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    @BeforeEach
    void startProxy() throws Exception {
        proxy = new CountingProxy(REGISTRY.host());
    }

    @AfterEach
    void stopProxy() {
        proxy.close();
    }

    private RegistryClient client(Platform platform) throws Exception {
        return new RegistryClient(RegistryConfig.defaults().withPlatform(platform)
                .withInsecureRegistries(Set.of(REGISTRY.host(), proxy.host())));
    }

    private LayerStore store() throws Exception {
        return LayerStore.open(temp.resolve("store"), nativeFs, true);
    }

    @Test
    void pullsMultiLayerImageByTagAndBuildsRootfsWithWhiteouts() throws Exception {
        RecordingVerifier verifier = new RecordingVerifier(() -> proxy.gets("/blobs/"), "");
        ImagePuller puller = new ImagePuller(client(Platform.LINUX_AMD64), store(), verifier);
        List<ProgressEvent> events = new CopyOnWriteArrayList<>();
        PulledImage image = puller.pull(proxy.host() + "/test/multi:v1", PullOptions.defaults(true), events::add);

        assertEquals(multi.digest(), image.reference().digest());
        assertEquals(multiLayers, image.layers().stream().map(l -> l.digest()).toList());
        assertEquals(multiDiffIds, image.layers().stream().map(l -> l.diffId().toString()).toList(),
                "each layer's diff_id is the digest of its uncompressed tar");
        assertEquals(List.of("/bin/sh", "-c"), image.config().entrypoint());
        assertEquals("/opt", image.config().workingDir());
        assertEquals(1, verifier.calls().size());
        assertEquals(0, verifier.calls().getFirst().blobGetsBefore(), "verified before any blob was fetched");
        assertEquals(multi.digest(), verifier.calls().getFirst().digest());
        for (Digest d : multiLayers) {
            assertTrue(events.contains(new ProgressEvent(d, sizeOf(image, d), sizeOf(image, d), ProgressEvent.State.COMPLETE)),
                    "completion event for " + d + " in " + events);
        }

        RootfsProvisioner copy = new RootfsProvisioner(new OverlaySupport(temp.resolve("no-such-proc-file")),
                Mounter.commands(), new LayerCopier(nativeFs, true));
        ContainerRootfs rootfs = copy.create(image.layers(), temp.resolve("c1"));
        assertEquals(ContainerRootfs.Kind.COPY, rootfs.kind());
        Path r = rootfs.rootfs();
        assertFalse(Files.exists(r.resolve("etc/a")), "whiteout applied");
        assertEquals("b", Files.readString(r.resolve("etc/b")));
        assertEquals("c", Files.readString(r.resolve("etc/c")));
        assertFalse(Files.exists(r.resolve("opt/d/old1")), "opaque dir hides the lower content");
        assertEquals("new", Files.readString(r.resolve("opt/d/new")));
        assertEquals(1000, Files.getAttribute(r.resolve("opt/d"), "unix:uid"));
        assertEquals("busybox", Files.readSymbolicLink(r.resolve("bin/sh")).toString());
        String out = Commands.run(List.of(r.resolve("bin/busybox").toString(), "echo", "ran from the pulled image"));
        assertEquals("ran from the pulled image", out.strip());
        try (Stream<Path> s = Files.list(r.resolve("etc"))) {
            assertEquals(List.of("b", "c"), s.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no whiteout markers in the copy");
        }
        copy.remove(rootfs);
        assertFalse(Files.exists(temp.resolve("c1")));
    }

    private static long sizeOf(PulledImage image, Digest d) throws Exception {
        return Files.size(REGISTRY.blobData(d));
    }

    @Test
    void secondPullUsesTheStoreAndFetchesNoLayer() throws Exception {
        LayerStore store = store();
        ImagePuller puller = new ImagePuller(client(Platform.LINUX_AMD64), store, new RecordingVerifier(() -> 0, ""));
        puller.pull(proxy.host() + "/test/multi:v1", PullOptions.defaults(true), ProgressListener.NONE);
        int before = proxy.gets("/blobs/");
        List<ProgressEvent> events = new CopyOnWriteArrayList<>();
        PulledImage again = puller.pull(proxy.host() + "/test/multi:v1", PullOptions.defaults(true), events::add);
        assertEquals(1, proxy.gets("/blobs/") - before, "only the config blob is fetched again");
        assertEquals(3, events.stream().filter(e -> e.state() == ProgressEvent.State.ALREADY_PRESENT).count());
        assertEquals(3, again.layers().size());
    }

    @Test
    void indexResolvesToTheGuestPlatform() throws Exception {
        for (String arch : List.of("amd64", "arm64")) {
            ImagePuller puller = new ImagePuller(client(Platform.parse("linux/" + arch)),
                    LayerStore.open(temp.resolve("store-" + arch), nativeFs, true), new RecordingVerifier(() -> 0, ""));
            PulledImage image = puller.pull(REGISTRY.host() + "/test/arch:latest", PullOptions.defaults(true),
                    ProgressListener.NONE);
            assertEquals(multiArch.digest(), image.reference().digest(), "the index is what the reference names");
            assertEquals(arch, Files.readString(image.layers().getFirst().diff().resolve("arch")));
        }
        ImagePuller s390 = new ImagePuller(client(Platform.parse("linux/s390x")), store(), new RecordingVerifier(() -> 0, ""));
        PullException e = assertThrows(PullException.class, () -> s390.pull(REGISTRY.host() + "/test/arch:latest",
                PullOptions.defaults(true), ProgressListener.NONE));
        assertEquals(PullException.Reason.NOT_FOUND, e.reason());
        assertTrue(e.getMessage().contains("linux/s390x"), e.getMessage());
    }

    @Test
    void pullsByDigestAndRefusesAnUnknownDigest() throws Exception {
        ImagePuller puller = new ImagePuller(client(Platform.LINUX_AMD64), store(), new RecordingVerifier(() -> 0, ""));
        PulledImage image = puller.pull(REGISTRY.host() + "/test/multi@" + multi.digest(), PullOptions.defaults(true),
                ProgressListener.NONE);
        assertEquals(multi.digest(), image.manifestDigest());
        String wrong = "sha256:" + "0".repeat(64);
        PullException e = assertThrows(PullException.class, () -> puller.pull(REGISTRY.host() + "/test/multi:v1@" + wrong,
                PullOptions.defaults(true), ProgressListener.NONE));
        assertEquals(PullException.Reason.NOT_FOUND, e.reason());
        PullException tag = assertThrows(PullException.class, () -> puller.pull(REGISTRY.host() + "/test/multi:nope",
                PullOptions.defaults(true), ProgressListener.NONE));
        assertEquals(PullException.Reason.NOT_FOUND, tag.reason());
    }

    @Test
    void verifierRejectionStopsThePullBeforeAnyBlob() throws Exception {
        RecordingVerifier verifier = new RecordingVerifier(() -> proxy.gets("/blobs/"), "test/multi");
        LayerStore store = store();
        ImagePuller puller = new ImagePuller(client(Platform.LINUX_AMD64), store, verifier);
        PullException e = assertThrows(PullException.class, () -> puller.pull(proxy.host() + "/test/multi:v1",
                PullOptions.defaults(true), ProgressListener.NONE));
        assertEquals(PullException.Reason.REJECTED_BY_POLICY, e.reason());
        assertEquals(0, proxy.gets("/blobs/"));
        for (Digest d : multiLayers) {
            assertTrue(store.find(d).isEmpty());
        }
    }

    @Test
    void corruptedBlobInTheRegistryIsADigestMismatchAndLeavesNoLayer() throws Exception {
        Path data = REGISTRY.blobData(corruptLayer);
        byte[] original = Files.readAllBytes(data);
        byte[] bad = original.clone();
        bad[bad.length / 2] ^= 0x01;
        Files.write(data, bad);
        try {
            LayerStore store = store();
            ImagePuller puller = new ImagePuller(client(Platform.LINUX_AMD64), store, new RecordingVerifier(() -> 0, ""));
            PullException e = assertThrows(PullException.class, () -> puller.pull(REGISTRY.host() + "/test/corrupt:v1",
                    PullOptions.defaults(true), ProgressListener.NONE));
            assertEquals(PullException.Reason.DIGEST_MISMATCH, e.reason(), e.getMessage());
            assertTrue(e.getMessage().startsWith("digest mismatch: ") && !e.getMessage().contains("mismatch: digest mismatch"),
                    "the reason is stated once: " + e.getMessage());
            assertTrue(store.find(corruptLayer).isEmpty());
            assertFalse(Files.exists(store.root().resolve("layers/sha256").resolve(corruptLayer.hex())));
            try (Stream<Path> s = Files.list(store.root().resolve("tmp"))) {
                assertEquals(0, s.count(), "staging cleaned up");
            }
            Files.write(data, original);
            PulledImage image = puller.pull(REGISTRY.host() + "/test/corrupt:v1", PullOptions.defaults(true),
                    ProgressListener.NONE);
            assertEquals(300_000, Files.size(image.layers().getFirst().diff().resolve("big")));
        } finally {
            Files.write(data, original);
        }
    }

    @Test
    void aLayerThatDoesNotUnpackToItsDiffIdIsRefused() throws Exception {
        LayerStore store = store();
        ImagePuller puller = new ImagePuller(client(Platform.LINUX_AMD64), store, new RecordingVerifier(() -> 0, ""));
        PullException lying = assertThrows(PullException.class, () -> puller.pull(REGISTRY.host() + "/test/lying:v1",
                PullOptions.defaults(true), ProgressListener.NONE));
        assertEquals(PullException.Reason.DIGEST_MISMATCH, lying.reason(), lying.getMessage());
        assertTrue(lying.getMessage().contains("rootfs.diff_ids[0]"), lying.getMessage());
        PullException count = assertThrows(PullException.class, () -> puller.pull(REGISTRY.host() + "/test/lying:short",
                PullOptions.defaults(true), ProgressListener.NONE));
        assertEquals(PullException.Reason.INVALID_CONTENT, count.reason(), count.getMessage());
        assertTrue(count.getMessage().contains("2 rootfs.diff_ids for 1 layer"), count.getMessage());
    }

    @Test
    void aHostileLayerFromTheRegistryIsRefusedAndLeavesNothing() throws Exception {
        LayerStore store = store();
        ImagePuller puller = new ImagePuller(client(Platform.LINUX_AMD64), store, new RecordingVerifier(() -> 0, ""));
        PullException e = assertThrows(PullException.class, () -> puller.pull(REGISTRY.host() + "/test/hostile:v1",
                PullOptions.defaults(true), ProgressListener.NONE));
        assertEquals(PullException.Reason.UNSAFE_LAYER, e.reason(), e.getMessage());
        assertTrue(store.find(hostileLayer).isEmpty());
        assertFalse(Files.exists(Path.of("/tmp/escaped-from-layer")));
        try (Stream<Path> s = Files.list(store.root().resolve("tmp"))) {
            assertEquals(0, s.count());
        }
    }

    @Test
    void concurrentPullsFetchEachLayerOnce() throws Exception {
        LayerStore store = store();
        ImagePuller puller = new ImagePuller(client(Platform.LINUX_AMD64), store, new RecordingVerifier(() -> 0, ""));
        List<Future<PulledImage>> pulls = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 6; i++) {
                pulls.add(pool.submit(() -> puller.pull(proxy.host() + "/test/multi:v1", PullOptions.defaults(true),
                        ProgressListener.NONE)));
            }
        }
        for (Future<PulledImage> f : pulls) {
            assertEquals(multiLayers, f.get().layers().stream().map(l -> l.digest()).toList());
        }
        for (Digest d : multiLayers) {
            assertEquals(1, proxy.gets("/blobs/" + d), "layer " + d + " fetched once");
        }
    }

    @Test
    void plainHttpIsRefusedUnlessTheRegistryIsConfiguredInsecure() throws Exception {
        RegistryClient strict = new RegistryClient(RegistryConfig.defaults().withRetries(1, java.time.Duration.ZERO));
        ImagePuller puller = new ImagePuller(strict, store(), new RecordingVerifier(() -> 0, ""));
        PullException e = assertThrows(PullException.class, () -> puller.pull(proxy.host() + "/test/multi:v1",
                PullOptions.defaults(true), ProgressListener.NONE));
        assertEquals(PullException.Reason.NETWORK, e.reason());
        assertEquals(0, proxy.gets("/v2/"), "no plain HTTP request was made");
    }

    @Test
    void manifestBytesAreKeptAsServed() throws Exception {
        RegistryClient client = client(Platform.LINUX_AMD64);
        var fetched = client.fetchManifest(org.cvmagent.image.registry.ImageReference.parse(REGISTRY.host() + "/test/multi:v1"));
        assertEquals(multi.digest(), fetched.digest());
        assertEquals(MediaTypes.OCI_MANIFEST, fetched.mediaType());
        assertArrayEquals(fetched.bytes(), Files.readAllBytes(REGISTRY.blobData(multi.digest())));
        assertTrue(new String(fetched.bytes(), StandardCharsets.UTF_8).contains("layers"));
    }
}
