package org.cvmagent.image.decrypt;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.cvmagent.image.registry.Descriptor;
import org.cvmagent.image.registry.LoadedOnSuccess;
import org.cvmagent.image.registry.RegistryException;
import org.cvmagent.image.signature.ResourceFetcher;
import org.cvmagent.image.signature.ResourceLoader;
import org.cvmagent.image.signature.SignatureVerificationException;
import org.cvmagent.image.store.Compression;
import org.cvmagent.image.store.LayerSource;

/**
 * Encrypted layers (ocicrypt, as skopeo and CoCo's tools write them): the keys, where they come
 * from, and whether every layer must be encrypted. Keys are loaded at the first encrypted layer
 * (a {@code kbs:///} key is reachable only once the guest has network and has attested), kept once
 * loaded, and a failed load refuses that pull and is tried again at the next.
 */
public final class LayerDecryption {

    /** Loads the configured private keys; called at most until it succeeds once. */
    @FunctionalInterface
    public interface KeyLoader {
        PrivateKeys load() throws IOException;
    }

    private final String keyLocation;
    private final LoadedOnSuccess<PrivateKeys, IOException> keys;
    private final ResourceFetcher kbs;
    private final boolean requireEncrypted;
    private final KeyUnwrapper unwrapper = new KeyUnwrapper();
    private volatile java.util.function.BiConsumer<org.cvmagent.image.registry.Digest, String> keySources = (d, s) -> { };

    /**
     * Tells {@code report} which key unwrapped each encrypted layer's key ("JWE, configured private
     * key FILE" or "key provider, KBS key-encryption key"), for {@code cvm-agent-ctl pull}.
     */
    public LayerDecryption reportingKeySources(java.util.function.BiConsumer<org.cvmagent.image.registry.Digest, String> report) {
        this.keySources = Objects.requireNonNull(report);
        return this;
    }

    /**
     * @param keyLocation      where the private keys come from, for messages; null when none is configured
     * @param keys             loads them; ignored when {@code keyLocation} is null
     * @param kbs              fetches CoCo key-provider key-encryption keys ({@code kid}); null without a KBS
     * @param requireEncrypted refuse images with any unencrypted layer
     */
    public LayerDecryption(String keyLocation, KeyLoader keys, ResourceFetcher kbs, boolean requireEncrypted) {
        this.keyLocation = keyLocation;
        KeyLoader loader = keyLocation == null ? PrivateKeys::none : Objects.requireNonNull(keys);
        this.keys = new LoadedOnSuccess<>(loader::load);
        this.kbs = kbs;
        this.requireEncrypted = requireEncrypted;
    }

    /**
     * Keys read through the policy's resource loader: {@code keyLocation} (a {@code kbs:///} URI or
     * an absolute path, or null for none) holds a JWK, a JWK set or PEM PKCS#8 private keys.
     */
    public static LayerDecryption fromResources(String keyLocation, ResourceLoader resources, ResourceFetcher kbs,
                                                boolean requireEncrypted) {
        return new LayerDecryption(keyLocation, () -> {
            try {
                return PrivateKeys.parse(resources.load(keyLocation));
            } catch (SignatureVerificationException | IllegalArgumentException e) {
                throw new IOException(e.getMessage(), e);
            }
        }, kbs, requireEncrypted);
    }

    /** No keys, no KBS, unencrypted images accepted: an encrypted layer is refused for want of a key. */
    public static LayerDecryption none() {
        return new LayerDecryption(null, null, null, false);
    }

    public boolean requireEncrypted() {
        return requireEncrypted;
    }

    /**
     * Checks the manifest's layers before anything is downloaded: media types known, every layer
     * encrypted if that is required.
     */
    public void checkLayers(List<Descriptor> layers) throws IOException {
        for (Descriptor d : layers) {
            boolean encrypted = EncryptedLayers.isEncrypted(d.mediaType());
            if (requireEncrypted && !encrypted) {
                throw new LayerDecryptionException(LayerDecryptionException.Reason.NOT_ENCRYPTED, d.parsedDigest(),
                        "media type " + d.mediaType() + " is not encrypted, and the image policy requires encrypted layers");
            }
            try {
                Compression.forMediaType(EncryptedLayers.plainMediaType(d.mediaType()));
            } catch (RegistryException e) {
                if (encrypted) {
                    throw new LayerDecryptionException(LayerDecryptionException.Reason.UNSUPPORTED, d.parsedDigest(),
                            "encrypted layer media type " + d.mediaType() + " is not supported");
                }
                throw e;
            }
        }
    }

    /** The layer's cipher: its key unwrapped with a configured key or the KBS, its options checked. */
    public LayerCipher cipher(Descriptor d) throws IOException {
        var digest = d.parsedDigest();
        PrivateKeys privateKeys;
        try {
            privateKeys = keys.get();
        } catch (IOException e) {
            throw new LayerDecryptionException(LayerDecryptionException.Reason.NO_KEY, digest,
                    "the decryption key " + keyLocation + " is unavailable: " + e.getMessage(), e);
        }
        byte[] options = unwrapper.unwrap(digest, d.annotations(), privateKeys, kbs,
                source -> keySources.accept(digest, source.startsWith("JWE") ? source + " " + keyLocation : source));
        try {
            return LayerCipher.parse(digest, options, EncryptedLayers.annotation(d.annotations(), EncryptedLayers.PUBOPTS));
        } finally {
            java.util.Arrays.fill(options, (byte) 0);
        }
    }

    /** A source that stages, verifies and then decrypts the ciphertext {@code blob} gives. */
    public LayerSource source(LayerCipher cipher, LayerSource blob, Path stagingDir) {
        return new DecryptingLayerSource(cipher, blob, stagingDir);
    }
}
