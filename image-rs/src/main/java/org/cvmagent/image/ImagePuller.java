package org.cvmagent.image;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import org.cvmagent.image.bundle.ImageConfig;
import org.cvmagent.image.decrypt.EncryptedLayers;
import org.cvmagent.image.decrypt.LayerCipher;
import org.cvmagent.image.decrypt.LayerDecryption;
import org.cvmagent.image.decrypt.LayerDecryptionException;
import org.cvmagent.image.registry.Descriptor;
import org.cvmagent.image.registry.Digest;
import org.cvmagent.image.registry.ImageReference;
import org.cvmagent.image.registry.RegistryClient;
import org.cvmagent.image.registry.RegistryException;
import org.cvmagent.image.registry.ResolvedImage;
import org.cvmagent.image.store.Compression;
import org.cvmagent.image.store.Layer;
import org.cvmagent.image.store.LayerSource;
import org.cvmagent.image.store.LayerStore;
import org.cvmagent.image.store.ImageUnpackBudget;
import org.cvmagent.image.store.UnsafeLayerException;

/**
 * Pulls an image into the layer store: reference → manifest (index → the guest's platform) →
 * {@link ManifestVerifier} → config → layers (downloaded, digest-checked and unpacked in one
 * pass, a few at a time) with progress events.
 */
public final class ImagePuller {
    /** A layer whose download broke off (network) is tried this many times in all. */
    private static final int LAYER_ATTEMPTS = 2;

    private final RegistryClient registry;
    private final LayerStore store;
    private final ManifestVerifier verifier;
    private final LayerDecryption decryption;
    private final ObjectMapper json = new ObjectMapper();

    public ImagePuller(RegistryClient registry, LayerStore store, ManifestVerifier verifier) {
        this(registry, store, verifier, LayerDecryption.none());
    }

    /** @param decryption keys for encrypted layers, and whether only encrypted layers are accepted */
    public ImagePuller(RegistryClient registry, LayerStore store, ManifestVerifier verifier,
                       LayerDecryption decryption) {
        this.registry = registry;
        this.store = store;
        this.verifier = verifier;
        this.decryption = decryption;
    }

    public PulledImage pull(String reference, PullOptions options, ProgressListener listener) throws PullException {
        ImageReference ref;
        try {
            ref = ImageReference.parse(reference);
        } catch (IllegalArgumentException e) {
            throw new PullException(PullException.Reason.INVALID_REFERENCE, e.getMessage(), e);
        }
        return pull(ref, options, listener);
    }

    public PulledImage pull(ImageReference ref, PullOptions options, ProgressListener listener) throws PullException {
        try {
            ResolvedImage resolved = registry.resolve(ref);
            var top = resolved.topLevel();
            try {
                verifier.verify(ref, top.bytes(), top.mediaType(), top.digest());
            } catch (ImageRejectedException e) {
                throw new PullException(PullException.Reason.REJECTED_BY_POLICY, ref + ": " + e.getMessage(), e);
            }
            List<Descriptor> layers = resolved.manifest().layers();
            if (layers.size() > options.maxLayers()) {
                throw new PullException(PullException.Reason.INVALID_CONTENT,
                        ref + " has " + LayerCount.of(layers.size()) + ", more than " + options.maxLayers(), null);
            }
            // Refuse unknown layer types, malformed digests, unencrypted layers where encryption
            // is required, and encrypted layers whose key does not unwrap, before downloading anything.
            decryption.checkLayers(layers);
            List<LayerCipher> ciphers = new ArrayList<>();
            for (Descriptor d : layers) {
                d.parsedDigest();
                ciphers.add(EncryptedLayers.isEncrypted(d.mediaType()) ? decryption.cipher(d) : null);
            }
            Descriptor configDescriptor = resolved.manifest().config();
            byte[] config = registry.fetchBlob(ref, configDescriptor, options.maxConfigBytes());
            ImageConfig imageConfig;
            RootfsDiffIds diffIds;
            try {
                imageConfig = ImageConfig.parse(config);
                diffIds = RootfsDiffIds.parse(json, config);
            } catch (IOException e) {
                throw new PullException(PullException.Reason.INVALID_CONTENT, "config of " + ref + ": " + e.getMessage(), e);
            }
            diffIds.checkCount(ref, layers.size());
            store.putBlob(top.digest(), top.bytes());
            store.putBlob(resolved.manifestBytes().digest(), resolved.manifestBytes().bytes());
            store.putBlob(configDescriptor.parsedDigest(), config);
            List<Layer> pulled = pullLayers(ref, layers, ciphers, options, listener);
            diffIds.verify(ref, pulled);
            return new PulledImage(ref.withDigest(top.digest()), resolved.manifestBytes().digest(),
                    configDescriptor.parsedDigest(), imageConfig, pulled);
        } catch (PullException e) {
            throw e;
        } catch (RegistryException e) {
            // PullException states its reason in front of the message, as RegistryException does.
            throw new PullException(reasonOf(e.reason()), e.detail(), e);
        } catch (UnsafeLayerException e) {
            throw new PullException(PullException.Reason.UNSAFE_LAYER, e.getMessage(), e);
        } catch (LayerDecryptionException e) {
            throw new PullException(e.reason() == LayerDecryptionException.Reason.NOT_ENCRYPTED
                    ? PullException.Reason.REJECTED_BY_POLICY : PullException.Reason.DECRYPTION, ref + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new PullException(PullException.Reason.STORAGE, e.getMessage(), e);
        }
    }

    private List<Layer> pullLayers(ImageReference ref, List<Descriptor> layers, List<LayerCipher> ciphers,
                                   PullOptions options, ProgressListener listener) throws IOException {
        Semaphore slots = new Semaphore(options.parallelLayers());
        ImageUnpackBudget unpacked = new ImageUnpackBudget(options.image());
        List<Future<Layer>> futures = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < layers.size(); i++) {
                Descriptor d = layers.get(i);
                LayerCipher cipher = ciphers.get(i);
                Digest digest = d.parsedDigest();
                listener.onProgress(new ProgressEvent(digest, 0, d.size(), ProgressEvent.State.WAITING));
                futures.add(pool.submit(() -> {
                    slots.acquire();
                    try {
                        return pullLayer(ref, d, digest, cipher, options, unpacked, listener);
                    } finally {
                        slots.release();
                    }
                }));
            }
            List<Layer> result = new ArrayList<>();
            try {
                for (Future<Layer> f : futures) {
                    result.add(await(f));
                }
            } catch (IOException | RuntimeException e) {
                // Stop the other downloads before the executor's close() waits for them.
                futures.forEach(f -> f.cancel(true));
                throw e;
            }
            return result;
        }
    }

    private Layer pullLayer(ImageReference ref, Descriptor d, Digest digest, LayerCipher cipher, PullOptions options,
                            ImageUnpackBudget unpacked, ProgressListener listener) throws IOException {
        LayerSource blob = () -> registry.openBlob(ref, d);
        // An encrypted layer is staged and its HMAC verified before it is decrypted into the unpacker.
        LayerSource source = cipher == null ? blob
                : decryption.source(cipher, blob, store.root().resolve("tmp"));
        for (int attempt = 1; ; attempt++) {
            try {
                listener.onProgress(new ProgressEvent(digest, 0, d.size(), ProgressEvent.State.DOWNLOADING));
                LayerStore.Ensured e = store.ensure(digest, EncryptedLayers.plainMediaType(d.mediaType()), source,
                        options.unpack(), unpacked, done -> listener.onProgress(
                                new ProgressEvent(digest, done, d.size(), ProgressEvent.State.DOWNLOADING)));
                listener.onProgress(new ProgressEvent(digest, d.size(), d.size(),
                        e.downloaded() ? ProgressEvent.State.COMPLETE : ProgressEvent.State.ALREADY_PRESENT));
                return e.layer();
            } catch (RegistryException e) {
                if (e.reason() != RegistryException.Reason.NETWORK || attempt >= LAYER_ATTEMPTS) {
                    listener.onProgress(new ProgressEvent(digest, 0, d.size(), ProgressEvent.State.FAILED));
                    throw e;
                }
            } catch (IOException | RuntimeException e) {
                listener.onProgress(new ProgressEvent(digest, 0, d.size(), ProgressEvent.State.FAILED));
                throw e;
            }
        }
    }

    private static Layer await(Future<Layer> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PullException(PullException.Reason.NETWORK, "interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IOException(e.getCause());
        }
    }

    private static PullException.Reason reasonOf(RegistryException.Reason r) {
        return switch (r) {
            case NOT_FOUND -> PullException.Reason.NOT_FOUND;
            case AUTH -> PullException.Reason.AUTH;
            case DIGEST_MISMATCH -> PullException.Reason.DIGEST_MISMATCH;
            case UNSUPPORTED_MEDIA_TYPE -> PullException.Reason.UNSUPPORTED_MEDIA_TYPE;
            case NETWORK -> PullException.Reason.NETWORK;
            case INVALID -> PullException.Reason.INVALID_CONTENT;
        };
    }
}
