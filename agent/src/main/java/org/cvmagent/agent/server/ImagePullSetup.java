package org.cvmagent.agent.server;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.cvmagent.agent.config.KernelCmdline;
import org.cvmagent.agent.storage.ImageGuestPullHandler;
import org.cvmagent.agent.process.CommandRunner;
import org.cvmagent.agent.storage.Mounter;
import org.cvmagent.agent.storage.SpawnedOverlayMounter;
import org.cvmagent.image.ImagePuller;
import org.cvmagent.image.ManifestVerifier;
import org.cvmagent.image.PolicyOnFirstPull;
import org.cvmagent.image.PullOptions;
import org.cvmagent.image.SignatureChecks;
import org.cvmagent.image.bundle.LayerCopier;
import org.cvmagent.image.bundle.OverlaySupport;
import org.cvmagent.image.bundle.RootfsProvisioner;
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
 * Builds the {@code image_guest_pull} handler from kata's options: {@code agent.image_policy_file}
 * (a containers-policy.json path or {@code kbs:///} resource; kata's name) with
 * {@code agent.image_registries_d} for lookaside stores, and {@code agent.image_insecure_registries}
 * (ours: host:port list allowed over plain HTTP). Without a policy file the guest accepts unsigned
 * images, as CoCo does when signature verification is not enabled — and says so in the log.
 */
public final class ImagePullSetup {
    static final String POLICY_PARAMETER = "agent.image_policy_file";
    static final String REGISTRIES_D_PARAMETER = "agent.image_registries_d";
    static final String INSECURE_PARAMETER = "agent.image_insecure_registries";
    private static final System.Logger LOG = System.getLogger(ImagePullSetup.class.getName());

    private ImagePullSetup() {
    }

    /** @param kbs where {@code kbs:///} policies and keys come from: the confidential data hub */
    static ImageGuestPullHandler handler(KernelCmdline cmdline, Path stateDir, Mounter mounter, CommandRunner commands,
                                         ResourceFetcher kbs) throws IOException {
        boolean root = isRoot();
        NativeFs nativeFs = new NativeFs();
        ImagePuller puller = puller(hosts(cmdline.value(INSECURE_PARAMETER).orElse("")), cmdline.value(POLICY_PARAMETER),
                cmdline.value(REGISTRIES_D_PARAMETER), stateDir.resolve("images/store"), kbs);
        RootfsProvisioner provisioner = new RootfsProvisioner(new OverlaySupport(Path.of("/proc/filesystems")),
                new SpawnedOverlayMounter(commands), new LayerCopier(nativeFs, root));
        return new ImageGuestPullHandler(puller, provisioner, stateDir.resolve("images/containers"),
                Path.of("/pause_bundle/rootfs"), mounter, PullOptions.defaults(root));
    }

    /**
     * A puller with its layer store at {@code store}, for the agent and for {@code cvm-agent-ctl pull}.
     *
     * @param policy a containers-policy.json location; empty accepts unsigned images (and logs it)
     * @param kbs    fetches what the policy names by {@code kbs:///} URI
     */
    public static ImagePuller puller(Set<String> insecureRegistries, Optional<String> policy,
                                     Optional<String> registriesD, Path store, ResourceFetcher kbs) throws IOException {
        RegistryClient registry = new RegistryClient(RegistryConfig.defaults().withInsecureRegistries(insecureRegistries));
        return new ImagePuller(registry, LayerStore.open(store, new NativeFs(), isRoot()),
                verifier(policy, registriesD, registry, kbs));
    }

    /** A comma-separated host[:port] list. */
    public static Set<String> hosts(String list) {
        return Arrays.stream(list.split(",")).map(String::strip).filter(s -> !s.isEmpty())
                .collect(Collectors.toUnmodifiableSet());
    }

    private static boolean isRoot() {
        return new com.sun.security.auth.module.UnixSystem().getUid() == 0;
    }

    private static ManifestVerifier verifier(Optional<String> policy, Optional<String> registriesD,
                                             RegistryClient registry, ResourceFetcher kbs) throws IOException {
        if (policy.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "no " + POLICY_PARAMETER + ": images pulled in the guest are not "
                    + "checked for signatures");
            return (reference, manifest, mediaType, digest) -> { };
        }
        SignaturePolicyLoader loader = new SignaturePolicyLoader(new ResourceLoader(kbs), HttpClient.newHttpClient(),
                SignatureChecks.reader(registry), Duration.ofSeconds(30));
        String location = policy.get();
        if (KbsResourceUri.isKbs(location)) {
            // the KBS is reachable only after the shim has set up the network, so at the first pull
            return new PolicyOnFirstPull(location, () -> loader.load(location, registriesD.orElse(null)));
        }
        try {
            return SignatureChecks.verifier(loader.load(location, registriesD.orElse(null)));
        } catch (SignatureVerificationException e) {
            throw new IOException(POLICY_PARAMETER + " " + location + ": " + e.getMessage(), e);
        }
    }
}
