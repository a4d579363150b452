package org.cvmagent.agent.server;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Supplier;
import org.cvmagent.agent.process.CommandRunner;
import org.cvmagent.agent.storage.EncryptedImageStore;
import org.cvmagent.agent.storage.EncryptedVolumes;
import org.cvmagent.agent.storage.ImageGuestPullHandler;
import org.cvmagent.agent.storage.ImageStore;
import org.cvmagent.agent.storage.Mounter;
import org.cvmagent.agent.storage.SpawnedOverlayMounter;
import org.cvmagent.image.ImagePuller;
import org.cvmagent.image.ManifestVerifier;
import org.cvmagent.image.PolicyOnFirstPull;
import org.cvmagent.image.store.ImageLimits;
import org.cvmagent.image.PullOptions;
import org.cvmagent.image.SignatureChecks;
import org.cvmagent.image.bundle.LayerCopier;
import org.cvmagent.image.decrypt.LayerDecryption;
import org.cvmagent.image.bundle.OverlaySupport;
import org.cvmagent.image.bundle.RootfsProvisioner;
import org.cvmagent.image.registry.AuthFile;
import org.cvmagent.image.registry.AuthFileOnFirstUse;
import org.cvmagent.image.registry.HttpClientOnFirstUse;
import org.cvmagent.image.registry.RegistryClient;
import org.cvmagent.image.registry.RegistryConfig;
import org.cvmagent.image.signature.KbsResourceUri;
import org.cvmagent.image.signature.ResourceFetcher;
import org.cvmagent.image.signature.ResourceLoader;
import org.cvmagent.image.signature.SignaturePolicyLoader;
import org.cvmagent.image.signature.SignatureVerificationException;
import org.cvmagent.image.store.LayerStore;
import org.cvmagent.image.store.NativeFs;

/**
 * Builds the {@code image_guest_pull} handler from the {@link ImageSettings}. A local policy is
 * read at start-up, so a broken one stops the agent with its reason; {@code kbs:///} policies and
 * credentials are fetched through the confidential data hub at the first pull, because the KBS is
 * reachable only after the shim configured the network. Without a policy the guest accepts
 * unsigned images, as CoCo does when signature verification is not enabled — and says so in the log.
 */
public final class ImagePullSetup {
    private static final System.Logger LOG = System.getLogger(ImagePullSetup.class.getName());

    private ImagePullSetup() {
    }

    /** Where the setting that puts the layer store on an encrypted disk is written, for messages. */
    static final String STORE_DEVICE_SETTING = "init-data cdh.toml [image] " + ImageSettings.STORE_DEVICE;

    /**
     * @param kbs       where {@code kbs:///} policies, keys and credentials come from: the confidential data hub
     * @param encrypted sets up the encrypted disk when the settings name one for the layer store
     */
    static ImageGuestPullHandler handler(ImageSettings settings, Path stateDir, Mounter mounter,
                                         CommandRunner commands, ResourceFetcher kbs, EncryptedVolumes encrypted)
            throws IOException {
        boolean root = isRoot();
        // the signature policy, credentials and keys are checked now, whichever store the layers go to
        Pullers pullers = pullers(settings, kbs, how -> { }, (layer, source) -> { });
        RootfsProvisioner provisioner = new RootfsProvisioner(new OverlaySupport(Path.of("/proc/filesystems")),
                new SpawnedOverlayMounter(commands), new LayerCopier(new NativeFs(), root));
        ImageStore store;
        if (settings.storeDevice().isEmpty()) {
            store = ImageStore.fixed(pullers.open(stateDir.resolve("images/store")),
                    stateDir.resolve("images/containers"),
                    options(settings, root, ImageLimits.fromMeminfo(Path.of("/proc/meminfo"))));
        } else {
            Path device = settings.storeDevice().get();
            LOG.log(System.Logger.Level.INFO, "the image layer store goes to encrypted " + device + " ("
                    + STORE_DEVICE_SETTING + "), set up at the first pull");
            store = new EncryptedImageStore(STORE_DEVICE_SETTING, device, encrypted.diskUse(), encrypted::ephemeral,
                    stateDir.resolve("images-disk"), mount -> new ImageStore.Ready(pullers.open(mount.resolve("store")),
                    mount.resolve("containers"), options(settings, root, diskLimits(mount))));
        }
        return new ImageGuestPullHandler(store, provisioner, Path.of("/pause_bundle/rootfs"), mounter);
    }

    private static PullOptions options(ImageSettings settings, boolean root, ImageLimits defaults) {
        PullOptions options = PullOptions.defaults(root, limits(settings, defaults));
        if (settings.parallelLayers().isPresent()) {
            options = options.withParallelLayers(settings.parallelLayers().get());
        }
        return options;
    }

    /**
     * On the encrypted disk the file system itself bounds what images fill, and its page cache is
     * memory the kernel can take back: by default an image may unpack to the file system's size and
     * an entry per 4 KiB of it.
     */
    static ImageLimits diskLimits(Path mount) throws IOException {
        long size = Math.max(1, Files.getFileStore(mount).getTotalSpace());
        return new ImageLimits(size, Math.max(1, size / 4096));
    }

    /**
     * What one image may unpack: {@code defaults} (from the guest's RAM when the store is on tmpfs,
     * see {@link ImageLimits#fromMeminfo}; from the disk's size otherwise), or as init-data's
     * cdh.toml sets it.
     */
    private static ImageLimits limits(ImageSettings settings, ImageLimits limits) {
        if (settings.maxUnpackedBytes().isPresent()) {
            limits = limits.withMaxBytes(settings.maxUnpackedBytes().get());
        }
        if (settings.maxUnpackedEntries().isPresent()) {
            limits = limits.withMaxEntries(settings.maxUnpackedEntries().get());
        }
        return limits;
    }

    /**
     * A puller with its layer store at {@code store}, for the agent and for {@code cvm-agent-ctl pull}.
     *
     * @param kbs fetches what the settings and the policy name by {@code kbs:///} URI
     */
    public static ImagePuller puller(ImageSettings settings, Path store, ResourceFetcher kbs) throws IOException {
        return puller(settings, store, kbs, how -> { }, (layer, source) -> { });
    }

    /**
     * As above, telling {@code signatures} how the policy accepted each image (or that no policy
     * checked it) and {@code keySources} which key decrypted each encrypted layer.
     */
    public static ImagePuller puller(ImageSettings settings, Path store, ResourceFetcher kbs,
                                     java.util.function.Consumer<String> signatures,
                                     java.util.function.BiConsumer<org.cvmagent.image.registry.Digest, String> keySources)
            throws IOException {
        return pullers(settings, kbs, signatures, keySources).open(store);
    }

    /** Opens a puller over a layer store; the registry, policy and keys behind it are already checked. */
    @FunctionalInterface
    interface Pullers {
        ImagePuller open(Path store) throws IOException;
    }

    private static Pullers pullers(ImageSettings settings, ResourceFetcher kbs,
                                   java.util.function.Consumer<String> signatures,
                                   java.util.function.BiConsumer<org.cvmagent.image.registry.Digest, String> keySources)
            throws IOException {
        ResourceLoader resources = new ResourceLoader(kbs);
        RegistryConfig config = RegistryConfig.defaults().withInsecureRegistries(settings.insecureRegistries());
        if (settings.httpsProxy().isPresent()) {
            config = config.withProxy(settings.httpsProxy().get(), settings.noProxy());
        }
        if (settings.registryAuth().isPresent()) {
            config = config.withCredentials(credentials(settings.registryAuth().get(), resources));
        }
        return withExtraRootCertificates(config, settings, withCas -> {
            RegistryClient registry = new RegistryClient(withCas);
            // lookaside signature stores are reached through the same proxy and CAs as registries;
            // they hold no credentials, so redirects are followed as containers/image does
            var lookaside = new HttpClientOnFirstUse(withCas, HttpClient.Redirect.NORMAL);
            ManifestVerifier verifier = verifier(settings, registry, lookaside, resources, signatures);
            LayerDecryption decryption = decryption(settings, resources, kbs).reportingKeySources(keySources);
            return (Pullers) store -> new ImagePuller(registry, LayerStore.open(store, new NativeFs(), isRoot()),
                    verifier, decryption);
        });
    }

    private interface WithConfig<T> {
        T apply(RegistryConfig config) throws IOException;
    }

    /** HTTP clients read a CA bundle once, when they are made: the init-data's certificates pass through a file. */
    private static <T> T withExtraRootCertificates(RegistryConfig config, ImageSettings settings, WithConfig<T> make)
            throws IOException {
        if (settings.extraRootCertificates().isEmpty()) {
            return make.apply(config);
        }
        Path pem = Files.createTempFile("extra-root-certificates", ".pem");
        try {
            Files.writeString(pem, String.join("\n", settings.extraRootCertificates()), StandardCharsets.US_ASCII);
            return make.apply(config.withCaBundle(pem));
        } finally {
            Files.delete(pem);
        }
    }

    private static boolean isRoot() {
        return new com.sun.security.auth.module.UnixSystem().getUid() == 0;
    }

    private static org.cvmagent.image.registry.RegistryCredentials credentials(String location,
                                                                               ResourceLoader resources)
            throws IOException {
        AuthFileOnFirstUse.Loader loader = () -> {
            try {
                return resources.load(location);
            } catch (SignatureVerificationException e) {
                throw new IOException(e.getMessage(), e);
            }
        };
        if (KbsResourceUri.isKbs(location)) {
            return new AuthFileOnFirstUse(location, loader);
        }
        try {
            return AuthFile.parse(loader.load());
        } catch (IOException e) {
            throw new IOException("registry credentials " + location + ": " + e.getMessage(), e);
        }
    }

    /**
     * Keys for encrypted layers: the configured private key (read at the first encrypted layer,
     * from the KBS or the image), and the KBS for CoCo key-provider annotations naming a
     * {@code kbs:///} key-encryption key.
     */
    private static LayerDecryption decryption(ImageSettings settings, ResourceLoader resources, ResourceFetcher kbs) {
        if (settings.requireEncryptedLayers()) {
            LOG.log(System.Logger.Level.INFO, "images with an unencrypted layer are refused (cdh.toml [image] "
                    + "require_encrypted_layers)");
        }
        return LayerDecryption.fromResources(settings.decryptionKey().orElse(null), resources, kbs,
                settings.requireEncryptedLayers());
    }

    private static ManifestVerifier verifier(ImageSettings settings, RegistryClient registry,
                                             Supplier<HttpClient> lookaside, ResourceLoader resources,
                                             java.util.function.Consumer<String> report)
            throws IOException {
        if (settings.policy().isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "no image signature policy (init-data's cdh.toml "
                    + "image_security_policy_uri; in development mode also " + ImageSettings.POLICY_PARAMETER
                    + "): images pulled in the guest are not checked for signatures");
            return (reference, manifest, mediaType, digest) -> report.accept("not verified (no signature policy)");
        }
        SignaturePolicyLoader loader = new SignaturePolicyLoader(resources, lookaside,
                SignatureChecks.reader(registry), Duration.ofSeconds(30));
        String location = settings.policy().get();
        String registriesD = settings.registriesD().orElse(null);
        if (KbsResourceUri.isKbs(location)) {
            return new PolicyOnFirstPull(location, () -> loader.load(location, registriesD), report);
        }
        try {
            return SignatureChecks.verifier(loader.load(location, registriesD), report);
        } catch (SignatureVerificationException e) {
            throw new IOException("image signature policy " + location + ": " + e.getMessage(), e);
        }
    }
}
