package org.cvmagent.image.store;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import org.cvmagent.image.registry.Digest;
import org.cvmagent.image.registry.RegistryException;
import org.cvmagent.image.registry.VerifyingInputStream;

/**
 * Content-addressed layers and blobs under one root, shared by all containers:
 * <pre>
 *   layers/&lt;alg&gt;/&lt;hex&gt;/diff            the unpacked tree
 *   layers/&lt;alg&gt;/&lt;hex&gt;/whiteouts.json  deletions it applies to the layers below
 *   layers/&lt;alg&gt;/&lt;hex&gt;/diff-id         sha256 of the uncompressed tar (the config's diff_id)
 *   layers/&lt;alg&gt;/&lt;hex&gt;/complete        written last: only a layer with it exists
 *   blobs/&lt;alg&gt;/&lt;hex&gt;                 manifests and configs
 *   tmp/                                staging; emptied when the store is opened
 * </pre>
 * A layer is unpacked into {@code tmp/}, verified against its digest, flushed, renamed into
 * place, and only then marked complete, so a crash at any point leaves either no layer or a
 * directory without the marker, which {@link #open} removes. Concurrent requests for one digest
 * in this process share a single download.
 */
public final class LayerStore {
    private static final System.Logger LOG = System.getLogger(LayerStore.class.getName());
    private static final String COMPLETE = "complete";
    private static final String WHITEOUTS = "whiteouts.json";
    private static final String DIFF_ID = "diff-id";

    private final Path root;
    private final Path tmp;
    private final NativeFs nativeFs;
    private final LayerUnpacker unpacker;
    private final boolean overlayMarkers;
    private final ObjectMapper json = new ObjectMapper();
    private final ConcurrentHashMap<Digest, CompletableFuture<Layer>> inFlight = new ConcurrentHashMap<>();

    private LayerStore(Path root, NativeFs nativeFs, boolean overlayMarkers) {
        this.root = root;
        this.tmp = root.resolve("tmp");
        this.nativeFs = nativeFs;
        this.overlayMarkers = overlayMarkers;
        this.unpacker = new LayerUnpacker(nativeFs, overlayMarkers);
    }

    /**
     * Opens (creating) the store and restores consistency after a crash: staging is emptied and
     * layer directories without their completion marker are removed.
     *
     * @param overlayMarkers whether to also write overlayfs whiteout markers (needs root)
     */
    public static LayerStore open(Path root, NativeFs nativeFs, boolean overlayMarkers) throws IOException {
        Path abs = root.toAbsolutePath();
        Files.createDirectories(abs.resolve("tmp"));
        boolean markers = overlayMarkers && canMakeOverlayMarkers(abs.resolve("tmp"), nativeFs);
        LayerStore store = new LayerStore(abs, nativeFs, markers);
        store.recover();
        return store;
    }

    /**
     * Whether this file system takes overlay whiteouts (0/0 character devices) and the opaque
     * xattr. An overlayfs refuses both (EPERM): a store on one keeps whiteouts only in its
     * records, and containers get a copy instead of an overlay mount.
     */
    private static boolean canMakeOverlayMarkers(Path tmp, NativeFs nativeFs) throws IOException {
        Path probe = Files.createTempDirectory(tmp, "probe-");
        try {
            nativeFs.lsetxattr(probe, "trusted.overlay.opaque", "y".getBytes(StandardCharsets.US_ASCII));
            nativeFs.mknod(probe.resolve("wh"), 0020000, 0);
            return true;
        } catch (NativeFs.NativeFsException e) {
            LOG.log(System.Logger.Level.INFO, "layer store {0} cannot hold overlay whiteouts ({1}): rootfs will be copies",
                    tmp.getParent(), e.getMessage());
            return false;
        } finally {
            Trees.deleteRecursively(probe);
        }
    }

    /** Whether layers carry overlay whiteout markers, so they can be overlay lowerdirs. */
    public boolean overlayMarkers() {
        return overlayMarkers;
    }

    public Path root() {
        return root;
    }

    private void recover() throws IOException {
        Files.createDirectories(tmp);
        Files.createDirectories(root.resolve("layers"));
        Files.createDirectories(root.resolve("blobs"));
        try (DirectoryStream<Path> staged = Files.newDirectoryStream(tmp)) {
            for (Path p : staged) {
                Trees.deleteRecursively(p);
            }
        }
        try (DirectoryStream<Path> algs = Files.newDirectoryStream(root.resolve("layers"))) {
            for (Path alg : algs) {
                try (DirectoryStream<Path> layers = Files.newDirectoryStream(alg)) {
                    for (Path layer : layers) {
                        // without a diff-id the layer was stored by an older agent: fetch it again
                        if (!Files.isRegularFile(layer.resolve(COMPLETE)) || !Files.isRegularFile(layer.resolve(DIFF_ID))) {
                            Trees.deleteRecursively(layer);
                        }
                    }
                }
            }
        }
    }

    private Path layerDir(Digest d) {
        return root.resolve("layers").resolve(d.algorithm()).resolve(d.hex());
    }

    /** The complete layer for a digest, if the store has it. */
    public Optional<Layer> find(Digest digest) throws IOException {
        Path dir = layerDir(digest);
        if (!Files.isRegularFile(dir.resolve(COMPLETE))) {
            return Optional.empty();
        }
        List<Whiteout> whiteouts = json.readValue(dir.resolve(WHITEOUTS).toFile(), new TypeReference<List<Whiteout>>() {
        });
        boolean overlay = "overlay".equals(Files.readString(dir.resolve(COMPLETE)).strip());
        Digest diffId = Digest.parse(Files.readString(dir.resolve(DIFF_ID), StandardCharsets.US_ASCII).strip());
        return Optional.of(new Layer(digest, diffId, dir.resolve("diff"), whiteouts, overlay));
    }

    /** A layer and whether this call downloaded it (false: present already or fetched by a concurrent call). */
    public record Ensured(Layer layer, boolean downloaded) {
    }

    /**
     * Returns the layer, downloading and unpacking it unless the store has it; concurrent calls
     * for one digest wait for the first one's result instead of downloading again.
     */
    public Ensured ensure(Digest digest, String mediaType, LayerSource source, UnpackPolicy policy,
                          LayerProgress progress) throws IOException {
        return ensure(digest, mediaType, source, policy, ImageUnpackBudget.unlimited(), progress);
    }

    /**
     * As {@link #ensure(Digest, String, LayerSource, UnpackPolicy, LayerProgress)}, with what
     * this call unpacks charged to {@code image}, the budget of the image being pulled. A layer
     * the store has already, or that another pull is unpacking, is not charged again.
     */
    public Ensured ensure(Digest digest, String mediaType, LayerSource source, UnpackPolicy policy,
                          ImageUnpackBudget image, LayerProgress progress) throws IOException {
        Optional<Layer> present = find(digest);
        if (present.isPresent()) {
            return new Ensured(present.get(), false);
        }
        CompletableFuture<Layer> mine = new CompletableFuture<>();
        CompletableFuture<Layer> other = inFlight.putIfAbsent(digest, mine);
        if (other != null) {
            return new Ensured(await(other), false);
        }
        try {
            // The previous owner may have finished between find() and putIfAbsent().
            Optional<Layer> again = find(digest);
            Layer layer = again.isPresent() ? again.get() : unpackNew(digest, mediaType, source, policy, image, progress);
            mine.complete(layer);
            return new Ensured(layer, again.isEmpty());
        } catch (IOException | RuntimeException e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            inFlight.remove(digest, mine);
        }
    }

    private static Layer await(CompletableFuture<Layer> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for a layer", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause());
        }
    }

    private Layer unpackNew(Digest digest, String mediaType, LayerSource source, UnpackPolicy policy,
                            ImageUnpackBudget image, LayerProgress progress) throws IOException {
        Compression compression = Compression.forMediaType(mediaType);
        Path staging = Files.createTempDirectory(tmp, digest.hex().substring(0, 12) + "-");
        try {
            Path diff = Files.createDirectory(staging.resolve("diff"));
            UnpackResult result;
            Digest diffId;
            try (VerifyingInputStream blob = source.open()) {
                if (!blob.expected().equals(digest)) {
                    throw new IllegalArgumentException("layer source verifies " + blob.expected() + ", not " + digest);
                }
                try {
                    DiffIdInputStream tar = new DiffIdInputStream(
                            compression.decompress(new ProgressInputStream(blob, progress)));
                    result = unpacker.unpack(tar, diff, policy, image);
                    diffId = tar.finish();
                } catch (UnsafeLayerException e) {
                    throw e.inLayer(digest.toString());
                } catch (RegistryException e) {
                    throw e;
                } catch (IOException e) {
                    throw unreadable(digest, blob, e);
                }
                // The tar reader stops at the end-of-archive blocks; the digest covers every byte.
                blob.drainAndVerify();
                progress.transferred(blob.count());
            }
            json.writeValue(staging.resolve(WHITEOUTS).toFile(), result.whiteouts());
            Files.writeString(staging.resolve(DIFF_ID), diffId.toString(), StandardCharsets.US_ASCII);
            nativeFs.syncfs(staging);
            Path dir = layerDir(digest);
            Files.createDirectories(dir.getParent());
            Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
            writeDurably(dir.resolve(COMPLETE), (overlayMarkers ? "overlay" : "plain").getBytes(StandardCharsets.US_ASCII));
            return new Layer(digest, diffId, dir.resolve("diff"), result.whiteouts(), overlayMarkers);
        } catch (IOException | RuntimeException e) {
            Trees.deleteRecursively(staging);
            throw e;
        }
    }

    /**
     * A layer that did not decompress or untar: a digest mismatch when its bytes are not the
     * blob's (a corrupt download), else invalid content (a well-hashed but broken archive).
     */
    private static RegistryException unreadable(Digest digest, VerifyingInputStream blob, IOException cause) {
        try {
            blob.drainAndVerify();
        } catch (RegistryException mismatch) {
            mismatch.addSuppressed(cause);
            return mismatch;
        } catch (IOException readFailure) {
            cause.addSuppressed(readFailure);
        }
        return new RegistryException(RegistryException.Reason.INVALID,
                "layer " + digest + " is not a readable tar: " + cause.getMessage(), cause);
    }

    private static void writeDurably(Path file, byte[] data) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(data));
            ch.force(true);
        }
        try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        }
    }

    /** Stores a small blob (manifest, config) after checking it hashes to its digest. */
    public void putBlob(Digest digest, byte[] data) throws IOException {
        if (!digest.matches(digest.newMessageDigest().digest(data))) {
            throw new RegistryException(RegistryException.Reason.DIGEST_MISMATCH, "blob does not hash to " + digest);
        }
        Path target = root.resolve("blobs").resolve(digest.algorithm()).resolve(digest.hex());
        if (Files.isRegularFile(target)) {
            return;
        }
        Files.createDirectories(target.getParent());
        Path staged = Files.createTempFile(tmp, "blob-", "");
        try {
            try (FileChannel ch = FileChannel.open(staged, StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap(data));
                ch.force(true);
            }
            Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(staged);
        }
    }

    /** A stored blob, re-verified (the store's disk is not trusted more than the registry). */
    public Optional<byte[]> readBlob(Digest digest) throws IOException {
        Path p = root.resolve("blobs").resolve(digest.algorithm()).resolve(digest.hex());
        if (!Files.isRegularFile(p)) {
            return Optional.empty();
        }
        byte[] data = Files.readAllBytes(p);
        if (!digest.matches(digest.newMessageDigest().digest(data))) {
            throw new RegistryException(RegistryException.Reason.DIGEST_MISMATCH, "stored blob " + digest + " is corrupt");
        }
        return Optional.of(data);
    }
}
