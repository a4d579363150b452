package org.cvmagent.image;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.cvmagent.image.bundle.LayerCopier;
import org.cvmagent.image.bundle.Mounter;
import org.cvmagent.image.bundle.OverlaySupport;
import org.cvmagent.image.bundle.RootfsProvisioner;
import org.cvmagent.image.registry.MediaTypes;
import org.cvmagent.image.registry.RegistryClient;
import org.cvmagent.image.registry.RegistryConfig;
import org.cvmagent.image.store.LayerStore;
import org.cvmagent.image.store.NativeFs;
import org.cvmagent.image.testing.Commands;
import org.cvmagent.image.testing.LocalRegistry;
import org.cvmagent.image.testing.OciLayout;
import org.cvmagent.image.testing.TarBuilder;

/**
 * Image pull figures; prints, never judges. Run with {@code bin/bench image [--rounds N]} (root):
 * a ~100 MB image of four gzip layers in a local docker-registry, pulled and unpacked into a fresh
 * store and a container rootfs by our puller, against {@code skopeo copy} to an OCI layout plus
 * {@code umoci unpack} of the same image, wall time per round.
 */
public final class ImagePullBench {
    private static final int LAYERS = 4;
    private static final int LAYER_BYTES = 25 * 1024 * 1024;

    private ImagePullBench() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length == 2 && args[0].equals("--rounds") ? Integer.parseInt(args[1]) : 3;
        Commands.requireBinary("/usr/bin/umoci");
        LocalRegistry registry = new LocalRegistry();
        registry.beforeAll(null);
        Path work = Files.createTempDirectory("pull-bench-");
        try {
            OciLayout layout = new OciLayout(work.resolve("layout"));
            List<OciLayout.Blob> layers = new ArrayList<>();
            List<String> diffIds = new ArrayList<>();
            Random random = new Random(42);
            for (int i = 0; i < LAYERS; i++) {
                // half random (incompressible), half text: a mix like real binaries and data
                byte[] data = new byte[LAYER_BYTES];
                random.nextBytes(data);
                Arrays.fill(data, LAYER_BYTES / 2, LAYER_BYTES, (byte) 'a');
                TarBuilder tar = new TarBuilder().dir("layer" + i, 0755);
                for (int f = 0; f < 25; f++) {
                    tar.file("layer" + i + "/file" + f, Arrays.copyOfRange(data, f * (LAYER_BYTES / 25),
                            (f + 1) * (LAYER_BYTES / 25)), 0644, 0, 0);
                }
                byte[] uncompressed = tar.tar();
                diffIds.add("\"" + org.cvmagent.image.registry.Digest.sha256(uncompressed) + "\"");
                layers.add(new OciLayout.Blob(MediaTypes.OCI_LAYER_GZIP, TarBuilder.gzip(uncompressed)));
            }
            // umoci unpacks by the config's diff_ids, which a real image always has
            byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"/bin/sh\"]},"
                    + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" + String.join(",", diffIds) + "]}}")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8);
            layout.tag("v1", layout.image(config, layers));
            registry.push(layout, "v1", "bench/big");
            String ref = registry.host() + "/bench/big:v1";
            long compressed = layers.stream().mapToLong(b -> b.data().length).sum();
            System.out.printf("image: %d layers, %d MB uncompressed, %d MB compressed; %d rounds%n", LAYERS,
                    LAYERS * (long) LAYER_BYTES >> 20, compressed >> 20, rounds);
            long[] ours = new long[rounds];
            long[] theirs = new long[rounds];
            for (int r = 0; r < rounds; r++) {
                Path round = Files.createDirectories(work.resolve("round" + r));
                long start = System.nanoTime();
                NativeFs nativeFs = new NativeFs();
                ImagePuller puller = new ImagePuller(new RegistryClient(RegistryConfig.defaults()
                        .withInsecureRegistries(Set.of(registry.host()))),
                        LayerStore.open(round.resolve("store"), nativeFs, true), (a, b, c, d) -> { });
                PulledImage image = puller.pull(ref, PullOptions.defaults(true), e -> { });
                new RootfsProvisioner(new OverlaySupport(Path.of("/proc/filesystems")), Mounter.commands(),
                        new LayerCopier(nativeFs, true)).create(image.layers(), round.resolve("container"));
                ours[r] = System.nanoTime() - start;
                start = System.nanoTime();
                Commands.run(List.of(LocalRegistry.SKOPEO, "--insecure-policy", "copy", "--src-tls-verify=false",
                        "docker://" + ref, "oci:" + round.resolve("oci") + ":v1"));
                Commands.run(List.of("/usr/bin/umoci", "unpack", "--image", round.resolve("oci") + ":v1",
                        round.resolve("bundle").toString()));
                theirs[r] = System.nanoTime() - start;
                System.out.printf("round %d: ours %.2f s, skopeo+umoci %.2f s%n", r, ours[r] / 1e9, theirs[r] / 1e9);
            }
            Arrays.sort(ours);
            Arrays.sort(theirs);
            System.out.printf("median: ours %.2f s, skopeo+umoci %.2f s, ratio %.2fx (target <= 1.0x)%n",
                    ours[rounds / 2] / 1e9, theirs[rounds / 2] / 1e9, (double) ours[rounds / 2] / theirs[rounds / 2]);
            long verify = org.cvmagent.image.signature.SigstoreVerifyBench.medianVerifyNanos(work, 500);
            System.out.printf("sigstore (cosign ECDSA key) policy decision: %.3f ms median = %.2f %% of the pull "
                    + "(target <= 5 %%; attachments served from memory)%n", verify / 1e6,
                    100.0 * verify / ours[rounds / 2]);
        } finally {
            unmountAll(work);
            registry.afterAll(null);
            Commands.run(List.of("rm", "-rf", work.toString()));
        }
    }

    private static void unmountAll(Path under) throws Exception {
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/mountinfo"))) {
            for (String mount : lines.map(l -> l.split(" ")[4]).filter(m -> m.startsWith(under.toString())).toList()) {
                Commands.run(List.of("umount", mount));
            }
        }
    }
}
