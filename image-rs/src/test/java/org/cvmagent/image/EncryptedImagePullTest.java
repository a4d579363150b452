package org.cvmagent.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.cvmagent.image.decrypt.EncryptedLayers;
import org.cvmagent.image.decrypt.LayerDecryption;
import org.cvmagent.image.registry.Descriptor;
import org.cvmagent.image.registry.Digest;
import org.cvmagent.image.registry.ImageReference;
import org.cvmagent.image.registry.MediaTypes;
import org.cvmagent.image.registry.Platform;
import org.cvmagent.image.registry.RegistryClient;
import org.cvmagent.image.registry.RegistryConfig;
import org.cvmagent.image.signature.ResourceFetcher;
import org.cvmagent.image.signature.ResourceLoader;
import org.cvmagent.image.store.LayerStore;
import org.cvmagent.image.store.NativeFs;
import org.cvmagent.image.testing.EncryptedImages;
import org.cvmagent.image.testing.LocalRegistry;
import org.cvmagent.image.testing.OciLayout;
import org.cvmagent.image.testing.TarBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images encrypted by skopeo (ocicrypt, JWE recipients) pushed to a real docker-registry and
 * pulled with private keys served as {@code kbs:///} resources by a stand-in for the KBS.
 */
class EncryptedImagePullTest {
    @RegisterExtension
    static final LocalRegistry REGISTRY = new LocalRegistry();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RSA_KEY = "kbs:///default/image-key/rsa";
    private static final String EC_KEY = "kbs:///default/image-key/ec";
    private static final String OTHER_KEY = "kbs:///default/image-key/other";

    private static final Map<String, byte[]> KBS = new java.util.concurrent.ConcurrentHashMap<>();
    private static List<Digest> encryptedLayers;
    private static List<Digest> plainLayers;
    private static Digest tamperedLayer;

    @TempDir
    Path temp;

    @BeforeAll
    static void pushImages(@TempDir Path dir) throws Exception {
        KeyPair rsa = EncryptedImages.rsa();
        KeyPair other = EncryptedImages.rsa();
        KeyPairGenerator ecGen = KeyPairGenerator.getInstance("EC");
        ecGen.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair ec = ecGen.generateKeyPair();
        Path rsaPub = EncryptedImages.writePublicKey(dir.resolve("rsa.pub.pem"), rsa);
        Path ecPub = EncryptedImages.writePublicKey(dir.resolve("ec.pub.pem"), ec);
        KBS.put(RSA_KEY, EncryptedImages.privateKeyPem(rsa));
        KBS.put(OTHER_KEY, EncryptedImages.privateKeyPem(other));
        KBS.put(EC_KEY, new ECKey.Builder(Curve.P_256, (ECPublicKey) ec.getPublic())
                .privateKey((ECPrivateKey) ec.getPrivate()).build().toJSONString().getBytes(StandardCharsets.UTF_8));

        byte[] secret = new byte[200_000];
        new java.util.Random(17).nextBytes(secret);
        OciLayout layout = new OciLayout(dir.resolve("plain"));
        List<OciLayout.Blob> layers = List.of(
                new OciLayout.Blob(MediaTypes.OCI_LAYER_GZIP, TarBuilder.gzip(new TarBuilder().dir("etc", 0755)
                        .file("etc/motd", "top secret").file("etc/blob", secret, 0644, 0, 0).tar())),
                new OciLayout.Blob(MediaTypes.OCI_LAYER_TAR, new TarBuilder().dir("opt", 0755)
                        .file("opt/app", "app v1").tar()));
        plainLayers = layers.stream().map(OciLayout.Blob::digest).toList();
        layout.tag("v1", layout.image(OciLayout.config("amd64", List.of(), List.of("/opt/app"), List.of(), "/"), layers));
        REGISTRY.push(layout, "v1", "test/plain");
        REGISTRY.copyEncrypted(layout, "v1", "docker://" + REGISTRY.host() + "/test/enc:v1",
                List.of("jwe:" + rsaPub, "jwe:" + ecPub));
        encryptedLayers = manifestLayers("test/enc:v1").stream().map(EncryptedImagePullTest::digest).toList();

        // A registry that re-digests a layer whose ciphertext it changed: the digest matches, the HMAC does not.
        Path encDir = dir.resolve("encrypted");
        REGISTRY.copyEncrypted(layout, "v1", "oci:" + encDir + ":v1", List.of("jwe:" + rsaPub));
        tamperedLayer = EncryptedImages.reDigestTamperedFirstLayer(encDir);
        REGISTRY.push(new OciLayout(encDir), "v1", "test/tampered");
    }

    private static Digest digest(Descriptor d) {
        return Digest.parse(d.digest());
    }

    private static List<Descriptor> manifestLayers(String repoTag) throws Exception {
        return client().resolve(ImageReference.parse(REGISTRY.host() + "/" + repoTag)).manifest().layers();
    }

    private static RegistryClient client() throws Exception {
        return new RegistryClient(RegistryConfig.defaults().withPlatform(Platform.LINUX_AMD64)
                .withInsecureRegistries(Set.of(REGISTRY.host())));
    }

    private LayerStore store() throws Exception {
        return LayerStore.open(temp.resolve("store"), new NativeFs(), false);
    }

    private static final ResourceFetcher FAKE_KBS = uri -> {
        byte[] data = KBS.get(uri.toString());
        if (data == null) {
            throw new IOException("KBS has no resource " + uri);
        }
        return data;
    };

    private static LayerDecryption keys(String location, boolean required) {
        return LayerDecryption.fromResources(location, new ResourceLoader(FAKE_KBS), FAKE_KBS, required);
    }

    private static ImagePuller puller(LayerStore store, LayerDecryption decryption) throws Exception {
        return new ImagePuller(client(), store, (r, m, t, d) -> { }, decryption);
    }

    private static PulledImage pull(ImagePuller puller, String repoTag) throws IOException {
        return puller.pull(REGISTRY.host() + "/" + repoTag, PullOptions.defaults(false), ProgressListener.NONE);
    }

    private static void assertNothingUnpacked(LayerStore store, List<Digest> layers) throws IOException {
        for (Digest d : layers) {
            assertTrue(store.find(d).isEmpty(), d + " is in the store");
            assertFalse(Files.exists(store.root().resolve("layers").resolve(d.algorithm()).resolve(d.hex())), d.toString());
        }
        try (Stream<Path> s = Files.list(store.root().resolve("tmp"))) {
            assertEquals(List.of(), s.toList(), "staging cleaned up");
        }
    }

    @Test
    void skopeoEncryptedEveryLayerForBothRecipients() throws Exception {
        List<Descriptor> layers = manifestLayers("test/enc:v1");
        // skopeo compresses the uncompressed layer when it pushes to a registry
        assertEquals(List.of(MediaTypes.OCI_LAYER_GZIP + "+encrypted", MediaTypes.OCI_LAYER_GZIP + "+encrypted"),
                layers.stream().map(Descriptor::mediaType).toList());
        for (Descriptor d : layers) {
            byte[] jwe = Base64.getDecoder().decode(d.annotations().get(EncryptedLayers.JWE_KEYS));
            assertEquals(2, JSON.readTree(jwe).path("recipients").size(), "one JWE, general serialization");
            assertTrue(d.annotations().containsKey(EncryptedLayers.PUBOPTS));
        }
    }

    @Test
    void pullsAndUnpacksWithTheRsaKeyFromTheKbs() throws Exception {
        LayerStore store = store();
        PulledImage image = pull(puller(store, keys(RSA_KEY, true)), "test/enc:v1");
        assertEquals(encryptedLayers, image.layers().stream().map(l -> l.digest()).toList());
        Path lower = image.layers().get(0).diff();
        assertEquals("top secret", Files.readString(lower.resolve("etc/motd")));
        assertEquals(200_000, Files.size(lower.resolve("etc/blob")));
        assertEquals("app v1", Files.readString(image.layers().get(1).diff().resolve("opt/app")));
        try (Stream<Path> s = Files.list(store.root().resolve("tmp"))) {
            assertEquals(List.of(), s.toList(), "no staged ciphertext left");
        }
    }

    @Test
    void pullsWithTheOtherRecipientsEcJwk() throws Exception {
        PulledImage image = pull(puller(store(), keys(EC_KEY, false)), "test/enc:v1");
        assertEquals("top secret", Files.readString(image.layers().get(0).diff().resolve("etc/motd")));
    }

    @Test
    void aWrongKeyIsRefusedNamingTheLayerBeforeAnyDownload() throws Exception {
        LayerStore store = store();
        PullException e = assertThrows(PullException.class, () -> pull(puller(store, keys(OTHER_KEY, false)), "test/enc:v1"));
        assertEquals(PullException.Reason.DECRYPTION, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("layer " + encryptedLayers.get(0) + ": wrong key:"), e.getMessage());
        assertNothingUnpacked(store, encryptedLayers);
    }

    @Test
    void noKeyConfiguredOrAnUnavailableKeyIsRefused() throws Exception {
        LayerStore store = store();
        PullException none = assertThrows(PullException.class, () -> pull(puller(store, LayerDecryption.none()), "test/enc:v1"));
        assertEquals(PullException.Reason.DECRYPTION, none.reason(), none.getMessage());
        assertTrue(none.getMessage().contains("layer " + encryptedLayers.get(0) + ": no key: "), none.getMessage());
        PullException missing = assertThrows(PullException.class,
                () -> pull(puller(store, keys("kbs:///default/image-key/absent", false)), "test/enc:v1"));
        assertTrue(missing.getMessage().contains("no key: the decryption key kbs:///default/image-key/absent is "
                + "unavailable"), missing.getMessage());
        assertNothingUnpacked(store, encryptedLayers);
    }

    @Test
    void aFlippedCiphertextByteInTheRegistryIsRefusedAndNothingIsUnpacked() throws Exception {
        Digest first = encryptedLayers.get(0);
        Path data = REGISTRY.blobData(first);
        byte[] original = Files.readAllBytes(data);
        byte[] bad = original.clone();
        bad[bad.length / 3] ^= 0x40;
        Files.write(data, bad);
        try {
            LayerStore store = store();
            PullException e = assertThrows(PullException.class, () -> pull(puller(store, keys(RSA_KEY, false)),
                    "test/enc:v1"));
            assertEquals(PullException.Reason.DIGEST_MISMATCH, e.reason(), e.getMessage());
            assertTrue(e.getMessage().contains(first.toString()), e.getMessage());
            assertNothingUnpacked(store, List.of(first));
        } finally {
            Files.write(data, original);
        }
    }

    @Test
    void aReDigestedTamperedCiphertextFailsItsHmacAndNothingIsUnpacked() throws Exception {
        LayerStore store = store();
        PullException e = assertThrows(PullException.class, () -> pull(puller(store, keys(RSA_KEY, false)),
                "test/tampered:v1"));
        assertEquals(PullException.Reason.DECRYPTION, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("layer " + tamperedLayer + ": tampered: the ciphertext does not match "
                + "its HMAC"), e.getMessage());
        assertNothingUnpacked(store, List.of(tamperedLayer));
    }

    @Test
    void anUnencryptedImageIsRefusedWhenEncryptionIsRequired() throws Exception {
        LayerStore store = store();
        PullException e = assertThrows(PullException.class, () -> pull(puller(store, keys(RSA_KEY, true)), "test/plain:v1"));
        assertEquals(PullException.Reason.REJECTED_BY_POLICY, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("layer " + plainLayers.get(0) + ": not encrypted: "), e.getMessage());
        assertNothingUnpacked(store, plainLayers);
        // without the requirement it is pulled as before
        PulledImage image = pull(puller(store, keys(RSA_KEY, false)), "test/plain:v1");
        assertEquals("app v1", Files.readString(image.layers().get(1).diff().resolve("opt/app")));
    }
}
