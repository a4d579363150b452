package org.cvmagent.image.signature;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.cvmagent.image.signature.SignatureVerificationException.Reason;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Key-based sigstoreSigned: cosign-format attachments signed with ECDSA, RSA and Ed25519 keys. */
class SigstoreSignedTest {

    private static final String REF = "registry.example.com/ns/app:v1";
    private static final String REPO = "registry.example.com/ns/app";
    private static final String ATTACHMENTS_ON = "docker:\n  registry.example.com:\n    use-sigstore-attachments: true\n";

    @TempDir
    Path tmp;

    private OciImage image;
    private OciImage otherImage;
    private CosignAttachments registry;

    @BeforeEach
    void setUp() throws Exception {
        image = OciImage.create(tmp.resolve("img"), "v1", "sigstore");
        otherImage = OciImage.create(tmp.resolve("img2"), "v1", "other");
        registry = new CosignAttachments();
    }

    private static KeyPair ec(String curve) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec(curve));
        return g.generateKeyPair();
    }

    private static KeyPair rsa() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(3072);
        return g.generateKeyPair();
    }

    private static KeyPair ed25519() throws Exception {
        return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    }

    private static String publicPem(KeyPair pair) {
        return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder().encodeToString(pair.getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
    }

    private Path keyFile(KeyPair pair) throws IOException {
        return Files.writeString(Files.createTempFile(tmp, "key", ".pub"), publicPem(pair));
    }

    private SignaturePolicyVerifier verifier(String requirementFields, String registriesYaml, ResourceFetcher kbs)
            throws SignatureVerificationException {
        Policy policy = new PolicyParser().parse(("{\"default\":[{\"type\":\"sigstoreSigned\"," + requirementFields + "}]}")
                .getBytes(StandardCharsets.UTF_8));
        RegistriesConfig registries = RegistriesConfig.parse(Map.of("test.yaml", registriesYaml.getBytes(StandardCharsets.UTF_8)));
        return new SignaturePolicyVerifier(policy, (ref, digest) -> List.of(),
                new SigstoreAttachmentSource(registries, registry), new ResourceLoader(kbs));
    }

    private SignaturePolicyVerifier verifier(String requirementFields) throws SignatureVerificationException {
        return verifier(requirementFields, ATTACHMENTS_ON, uri -> {
            throw new IOException("no KBS in this test");
        });
    }

    private String keyPath(KeyPair pair) throws IOException {
        return "\"keyPath\":\"" + keyFile(pair) + "\"";
    }

    private void accept(SignaturePolicyVerifier v, String ref) throws SignatureVerificationException {
        v.verify(DockerReference.parse(ref), image.manifest(), image.manifestDigest());
    }

    private SignatureVerificationException refuse(Reason reason, SignaturePolicyVerifier v) {
        SignatureVerificationException e = assertThrows(SignatureVerificationException.class,
                () -> v.verify(DockerReference.parse(REF), image.manifest(), image.manifestDigest()));
        assertEquals(reason, e.reason(), e.getMessage());
        return e;
    }

    @Test
    void acceptsEcdsaP256FromTheSigTag() throws Exception {
        KeyPair key = ec("secp256r1");
        registry.attach(image.manifestDigest(), key.getPrivate(), REF, image.manifestDigest());
        accept(verifier(keyPath(key)), REF);
        String hex = image.manifestDigest().substring("sha256:".length());
        assertEquals(List.of(REPO + ":sha256-" + hex + ".sig"), registry.requestedTags);
    }

    @Test
    void acceptsEcdsaP384EmbeddedAsKeyData() throws Exception {
        KeyPair key = ec("secp384r1");
        registry.attach(image.manifestDigest(), key.getPrivate(), REF, image.manifestDigest());
        String data = Base64.getEncoder().encodeToString(publicPem(key).getBytes(StandardCharsets.US_ASCII));
        accept(verifier("\"keyData\":\"" + data + "\""), REF);
    }

    @Test
    void acceptsRsaAndEd25519() throws Exception {
        KeyPair rsa = rsa();
        KeyPair ed = ed25519();
        registry.attach(image.manifestDigest(), rsa.getPrivate(), REF, image.manifestDigest());
        accept(verifier(keyPath(rsa)), REF);
        registry = new CosignAttachments();
        registry.attach(image.manifestDigest(), ed.getPrivate(), REF, image.manifestDigest());
        accept(verifier(keyPath(ed)), REF);
    }

    @Test
    void acceptsAnyOfSeveralKeysFromTheKbs() throws Exception {
        KeyPair first = ec("secp256r1");
        KeyPair second = ed25519();
        registry.attach(image.manifestDigest(), second.getPrivate(), REF, image.manifestDigest());
        Map<String, byte[]> kbs = Map.of("kbs:///default/cosign/a", publicPem(first).getBytes(StandardCharsets.US_ASCII),
                "kbs:///default/cosign/b", publicPem(second).getBytes(StandardCharsets.US_ASCII));
        accept(verifier("\"keyPaths\":[\"kbs:///default/cosign/a\",\"kbs:///default/cosign/b\"]", ATTACHMENTS_ON,
                uri -> kbs.get(uri.toString())), REF);
    }

    @Test
    void rejectsWrongKey() throws Exception {
        KeyPair trusted = ec("secp256r1");
        registry.attach(image.manifestDigest(), ec("secp256r1").getPrivate(), REF, image.manifestDigest());
        refuse(Reason.WRONG_KEY, verifier(keyPath(trusted)));
    }

    @Test
    void rejectsSignatureOfAnotherManifest() throws Exception {
        KeyPair key = ec("secp256r1");
        // Attached to this image, but the signed payload names another manifest.
        registry.attach(image.manifestDigest(), key.getPrivate(), REF, otherImage.manifestDigest());
        refuse(Reason.DIGEST_MISMATCH, verifier(keyPath(key)));
    }

    @Test
    void rejectsIdentityMismatchButMatchRepositoryAcceptsCosignStyleRepoIdentity() throws Exception {
        KeyPair key = ed25519();
        // cosign signs the repository without a tag; matchRepoDigestOrExact needs the exact tag.
        registry.attach(image.manifestDigest(), key.getPrivate(), REPO, image.manifestDigest());
        refuse(Reason.IDENTITY_MISMATCH, verifier(keyPath(key)));
        accept(verifier(keyPath(key) + ",\"signedIdentity\":{\"type\":\"matchRepository\"}"), REF);
    }

    @Test
    void noAttachmentMeansNoSignature() throws Exception {
        refuse(Reason.NO_SIGNATURE, verifier(keyPath(ec("secp256r1"))));
    }

    @Test
    void attachmentsAreIgnoredUnlessRegistriesDEnablesThem() throws Exception {
        KeyPair key = ec("secp256r1");
        registry.attach(image.manifestDigest(), key.getPrivate(), REF, image.manifestDigest());
        SignatureVerificationException e = refuse(Reason.NO_SIGNATURE, verifier(keyPath(key), "default-docker: {}\n",
                uri -> null));
        assertTrue(registry.requestedTags.isEmpty(), e.getMessage());
    }

    @Test
    void malformedAttachmentsAreRefused() throws Exception {
        KeyPair key = ec("secp256r1");
        byte[] payload = CosignAttachments.payload(REF, image.manifestDigest(), SigningPayload.COSIGN_TYPE)
                .getBytes(StandardCharsets.UTF_8);
        String sig = CosignAttachments.sign(key.getPrivate(), payload);
        registry.attachRaw(image.manifestDigest(), new CosignAttachments.Layer("application/octet-stream", payload,
                Map.of(SigstoreSignature.SIGNATURE_ANNOTATION, sig)));
        refuse(Reason.INVALID_SIGNATURE, verifier(keyPath(key)));

        registry = new CosignAttachments();
        registry.attachRaw(image.manifestDigest(), new CosignAttachments.Layer(SigstoreSignature.SIMPLE_SIGNING_MEDIA_TYPE,
                payload, Map.of()));
        refuse(Reason.INVALID_SIGNATURE, verifier(keyPath(key)));

        // A validly signed payload of the GPG type, or with an unknown critical field, is not accepted.
        for (String bad : List.of(
                CosignAttachments.payload(REF, image.manifestDigest(), SigningPayload.SIMPLE_SIGNING_TYPE),
                CosignAttachments.payload(REF, image.manifestDigest(), SigningPayload.COSIGN_TYPE)
                        .replace("\"type\":", "\"restriction\":\"none\",\"type\":"))) {
            registry = new CosignAttachments();
            byte[] p = bad.getBytes(StandardCharsets.UTF_8);
            registry.attachRaw(image.manifestDigest(), new CosignAttachments.Layer(SigstoreSignature.SIMPLE_SIGNING_MEDIA_TYPE,
                    p, Map.of(SigstoreSignature.SIGNATURE_ANNOTATION, CosignAttachments.sign(key.getPrivate(), p))));
            refuse(Reason.INVALID_SIGNATURE, verifier(keyPath(key)));
        }
    }

    @Test
    void payloadBlobMustMatchItsDigest() throws Exception {
        KeyPair key = ec("secp256r1");
        registry.attach(image.manifestDigest(), key.getPrivate(), REF, image.manifestDigest());
        registry.corruptBlobs();
        refuse(Reason.INVALID_SIGNATURE, verifier(keyPath(key)));
    }

    @Test
    void unusableFulcioCaOrRekorKeyIsAPolicyError() throws Exception {
        KeyPair key = ec("secp256r1");
        registry.attach(image.manifestDigest(), key.getPrivate(), REF, image.manifestDigest());
        Path notACertificate = keyFile(key);
        SignatureVerificationException e = refuse(Reason.INVALID_POLICY, verifier("\"fulcio\":{\"caPath\":\""
                + notACertificate + "\",\"oidcIssuer\":\"https://issuer.example.com\",\"subjectEmail\":\"a@example.com\"},"
                + "\"rekorPublicKeyPath\":\"" + notACertificate + "\""));
        assertTrue(e.getMessage().contains("Fulcio CA"), e.getMessage());
        e = refuse(Reason.INVALID_POLICY, verifier(keyPath(key) + ",\"rekorPublicKeyPath\":\"" + keyFile(ed25519()) + "\""));
        assertTrue(e.getMessage().contains("is not an ECDSA key"), e.getMessage());
    }

    @Test
    void rejectsUnusableKeys() throws Exception {
        KeyPairGenerator small = KeyPairGenerator.getInstance("RSA");
        small.initialize(1024);
        SignatureVerificationException e = refuse(Reason.INVALID_POLICY, verifier(keyPath(small.generateKeyPair())));
        assertTrue(e.getMessage().contains("shorter than 2048"), e.getMessage());
        Path notPem = Files.writeString(tmp.resolve("garbage.pub"), "garbage");
        refuse(Reason.INVALID_POLICY, verifier("\"keyPath\":\"" + notPem + "\""));
    }
}
