package org.cvmagent.image.signature;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import org.cvmagent.image.signature.SignatureVerificationException.Reason;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * cosign v3 Sigstore bundles under sigstoreSigned: each bundle version and content type, keyless
 * (Fulcio certificate from the trusted root, Rekor entry or signed timestamp) and by public key; and
 * the negative corpus, each refused with its reason.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SigstoreBundleTest {

    private static final String REF = "registry.example.com/ns/app:v1";
    private static final byte[] MANIFEST = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
            + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:"
            + "ab".repeat(32) + "\",\"size\":2},\"layers\":[]}").getBytes(StandardCharsets.UTF_8);

    private BundleFixture fx;
    private Path root;
    private Path rootNoLog;
    private Path rootNoTsa;
    private Path dir;

    @BeforeAll
    void setUp(@TempDir Path tmp) throws Exception {
        dir = tmp;
        fx = new BundleFixture();
        root = Files.writeString(tmp.resolve("trusted_root.json"), fx.trustedRoot(true, true, true));
        rootNoLog = Files.writeString(tmp.resolve("root-tsa-only.json"), fx.trustedRoot(true, false, true));
        rootNoTsa = Files.writeString(tmp.resolve("root-no-tsa.json"), fx.trustedRoot(true, true, false));
    }

    private String keyless(Path trustedRoot, String issuer, String email, String identity) {
        return "{\"default\":[{\"type\":\"sigstoreSigned\",\"fulcio\":{\"oidcIssuer\":\"" + issuer + "\",\"subjectEmail\":\""
                + email + "\"},\"trustedRootPath\":\"" + trustedRoot + "\"" + identity + "}]}";
    }

    private String keyless() {
        return keyless(root, BundleFixture.ISSUER, BundleFixture.EMAIL, "");
    }

    private String keyPolicy(KeyPair key, boolean withRoot) throws IOException {
        Path pub = Files.writeString(Files.createTempFile(dir, "key", ".pub"),
                BundleFixture.pem("PUBLIC KEY", key.getPublic().getEncoded()));
        return "{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"" + pub + "\""
                + (withRoot ? ",\"trustedRootPath\":\"" + root + "\"" : "") + "}]}";
    }

    private BundleFixture.Spec spec(Consumer<BundleFixture.Spec> change) throws Exception {
        BundleFixture.Spec s = new BundleFixture.Spec();
        s.leaf = fx.leaf(s.signer);
        s.signedDigest = BundleFixture.sha256(MANIFEST);
        change.accept(s);
        return s;
    }

    private List<String> verify(String policy, String... bundles) throws SignatureVerificationException {
        SigstoreSignatureSource source = new SigstoreSignatureSource() {
            @Override
            public List<SigstoreSignature> sigstoreSignatures(DockerReference ref, String manifestDigest) {
                return List.of();
            }

            @Override
            public List<byte[]> sigstoreBundles(DockerReference ref, String manifestDigest) {
                return java.util.Arrays.stream(bundles).map(b -> b.getBytes(StandardCharsets.UTF_8)).toList();
            }
        };
        return new SignaturePolicyVerifier(new PolicyParser().parse(policy.getBytes(StandardCharsets.UTF_8)),
                (r, d) -> List.of(), source, new ResourceLoader(uri -> {
                    throw new IOException("no KBS");
                })).verifyDescribing(DockerReference.parse(REF), MANIFEST, ManifestDigest.of(MANIFEST, "sha256"));
    }

    private void refuse(Reason reason, String expected, String policy, String bundle) {
        SignatureVerificationException e = assertThrows(SignatureVerificationException.class, () -> verify(policy, bundle));
        assertEquals(reason, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @ParameterizedTest(name = "v0.{0} {1}, chain in bundle {2}")
    @CsvSource({"3, MESSAGE, false", "3, DSSE, false", "3, MESSAGE, true", "2, MESSAGE, true", "2, DSSE, true",
            "1, MESSAGE, true", "1, DSSE, true"})
    void acceptsKeylessBundles(int minor, BundleFixture.Content content, boolean chain) throws Exception {
        String bundle = fx.bundle(spec(s -> {
            s.minor = minor;
            s.content = content;
            s.chainInBundle = chain;
            s.proof = minor >= 2;
        }));
        String how = verify(keyless(), bundle).getFirst();
        assertTrue(how.startsWith("cosign bundle v0." + minor), how);
        assertTrue(how.contains(BundleFixture.EMAIL), how);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"MESSAGE", "DSSE"})
    void acceptsPublicKeyBundles(BundleFixture.Content content) throws Exception {
        BundleFixture.Spec s = spec(x -> {
            x.content = content;
            x.leaf = null;
            x.tlog = false;
        });
        assertTrue(verify(keyPolicy(s.signer, false), fx.bundle(s)).getFirst().contains("by public key"));
        // with a trusted root, its Rekor log must hold the entry
        refuse(Reason.WRONG_KEY, "no transparency log entry", keyPolicy(s.signer, true), fx.bundle(s));
        s.tlog = true;
        assertTrue(verify(keyPolicy(s.signer, true), fx.bundle(s)).getFirst().contains("Rekor entry 12345"));
        refuse(Reason.WRONG_KEY, "not made by any trusted key", keyPolicy(BundleFixture.ec(), false), fx.bundle(s));
    }

    @Test
    void acceptsAnRsaKeyOverTheManifest() throws Exception {
        java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        KeyPair rsa = g.generateKeyPair();
        BundleFixture.Spec s = spec(x -> {
            x.signer = rsa;
            x.leaf = null;
            x.tlog = false;
        });
        verify(keyPolicy(rsa, false), fx.bundle(s));
        // the same signature is what SHA256withRSA over the manifest bytes gives
        java.security.Signature v = java.security.Signature.getInstance("SHA256withRSA");
        v.initVerify(rsa.getPublic());
        v.update(MANIFEST);
        SigstoreBundle parsed = SigstoreBundle.parse(fx.bundle(s).getBytes(StandardCharsets.UTF_8));
        assertTrue(v.verify(((SigstoreBundle.MessageSignature) parsed.content()).signature()));
    }

    @Test
    void policyFieldsForTheTrustedRoot() throws Exception {
        String bundle = fx.bundle(spec(s -> {}));
        String inline = java.util.Base64.getEncoder().encodeToString(Files.readAllBytes(root));
        verify("{\"default\":[{\"type\":\"sigstoreSigned\",\"fulcio\":{\"oidcIssuer\":\"" + BundleFixture.ISSUER
                + "\",\"subjectEmail\":\"" + BundleFixture.EMAIL + "\"},\"trustedRootData\":\"" + inline + "\"}]}", bundle);
        for (String bad : List.of(
                // fulcio without a CA needs a trusted root
                "{\"type\":\"sigstoreSigned\",\"fulcio\":{\"oidcIssuer\":\"i\",\"subjectEmail\":\"e\"},\"rekorPublicKeyData\":\"eA==\"}",
                "{\"type\":\"sigstoreSigned\",\"keyData\":\"eA==\",\"trustedRootPath\":\"relative.json\"}",
                "{\"type\":\"sigstoreSigned\",\"keyData\":\"eA==\",\"trustedRootPath\":\"/a\",\"trustedRootData\":\"eA==\"}")) {
            SignatureVerificationException e = assertThrows(SignatureVerificationException.class,
                    () -> new PolicyParser().parse(("{\"default\":[" + bad + "]}").getBytes(StandardCharsets.UTF_8)), bad);
            assertEquals(Reason.INVALID_POLICY, e.reason(), e.getMessage());
        }
        // a file that is not a trusted root is the policy's error, not the signature's
        Path notRoot = Files.writeString(dir.resolve("not-root.json"), "{\"mediaType\":\"something/else\"}");
        refuse(Reason.INVALID_POLICY, "not a Sigstore trusted root", keyless(notRoot, BundleFixture.ISSUER,
                BundleFixture.EMAIL, ""), bundle);
    }

    @Test
    void theTrustedRootAlsoServesKeylessLegacySignatures() throws Exception {
        KeyPair signer = BundleFixture.ec();
        var leaf = fx.leaf(signer);
        String leafPem = BundleFixture.pem("CERTIFICATE", leaf.getEncoded());
        byte[] payload = CosignAttachments.payload(REF, ManifestDigest.of(MANIFEST, "sha256"), SigningPayload.COSIGN_TYPE)
                .getBytes(StandardCharsets.UTF_8);
        String sig = CosignAttachments.sign(signer.getPrivate(), payload);
        SigstoreSignature legacy = new SigstoreSignature(SigstoreSignature.SIMPLE_SIGNING_MEDIA_TYPE, payload, java.util.Map.of(
                SigstoreSignature.SIGNATURE_ANNOTATION, sig,
                SigstoreSignature.CERTIFICATE_ANNOTATION, leafPem,
                // cosign's chain annotation ends with the root (which only the policy may supply)
                SigstoreSignature.CHAIN_ANNOTATION, BundleFixture.pem("CERTIFICATE", fx.caIntermediate.getEncoded())
                        + BundleFixture.pem("CERTIFICATE", fx.caRoot.getEncoded()),
                SigstoreSignature.BUNDLE_ANNOTATION, FulcioFixture.bundle(fx.rekor.getPrivate(), leafPem, sig, payload,
                        Instant.now())));
        String how = new SignaturePolicyVerifier(new PolicyParser().parse(keyless().getBytes(StandardCharsets.UTF_8)),
                (r, d) -> List.of(), (r, d) -> List.of(legacy), new ResourceLoader(uri -> {
                    throw new IOException("no KBS");
                })).verifyDescribing(DockerReference.parse(REF), MANIFEST, ManifestDigest.of(MANIFEST, "sha256")).getFirst();
        assertTrue(how.startsWith("cosign legacy signature (.sig tag) by Fulcio certificate for " + BundleFixture.EMAIL), how);
        assertTrue(how.endsWith("identity " + REF), how);
    }

    @Test
    void aSingleCertificateNeedsBundleV03() throws Exception {
        refuse(Reason.INVALID_SIGNATURE, "cannot hold a single certificate", keyless(), fx.bundle(spec(s -> s.minor = 2)));
    }

    @Test
    void acceptsSignedTimestampAlone() throws Exception {
        // a certificate long expired, signed while valid, as the TSA proves; no transparency log
        KeyPair signer = BundleFixture.ec();
        Instant then = Instant.now().minus(Duration.ofDays(2));
        var leaf = fx.leaf(signer, BundleFixture.ISSUER, BundleFixture.EMAIL, then.minus(Duration.ofMinutes(5)),
                then.plus(Duration.ofMinutes(10)));
        String bundle = fx.bundle(spec(s -> {
            s.signer = signer;
            s.leaf = leaf;
            s.tlog = false;
            s.timestampAt = then;
        }));
        String how = verify(keyless(rootNoLog, BundleFixture.ISSUER, BundleFixture.EMAIL, ""), bundle).getFirst();
        assertTrue(how.contains("signed timestamp"), how);
        // the same with a TSA the root does not trust
        refuse(Reason.WRONG_KEY, "no verified transparency log time or signed timestamp",
                keyless(Files.writeString(dir.resolve("ca-only.json"), fx.trustedRoot(true, false, false)),
                        BundleFixture.ISSUER, BundleFixture.EMAIL, ""), bundle);
    }

    @Test
    void subjectMatchesAWorkflowUriOrAnEmail() throws Exception {
        String workflow = "https://github.com/example/app/.github/workflows/release.yml@refs/heads/main";
        String ci = "https://token.actions.githubusercontent.com";
        KeyPair signer = BundleFixture.ec();
        var leaf = fx.leafWithUri(signer, ci, workflow);
        String bundle = fx.bundle(spec(s -> {
            s.signer = signer;
            s.leaf = leaf;
        }));
        String policy = "{\"default\":[{\"type\":\"sigstoreSigned\",\"fulcio\":{\"oidcIssuer\":\"" + ci
                + "\",\"subject\":\"%s\"},\"trustedRootPath\":\"" + root + "\"}]}";
        assertTrue(verify(policy.formatted(workflow), bundle).getFirst().contains(workflow));
        refuse(Reason.IDENTITY_MISMATCH, "required subject (e-mail or URI)",
                policy.formatted("https://github.com/example/app/.github/workflows/other.yml@refs/heads/main"), bundle);
        // subjectEmail never matches a URI
        refuse(Reason.IDENTITY_MISMATCH, "subject e-mail", keyless(root, ci, workflow, ""), bundle);
        // subject matches an e-mail too
        verify(keyless(root, BundleFixture.ISSUER, BundleFixture.EMAIL, "").replace("subjectEmail", "subject"),
                fx.bundle(spec(s -> {})));
        SignatureVerificationException both = assertThrows(SignatureVerificationException.class,
                () -> new PolicyParser().parse(policy.formatted(workflow).replace("\"subject\"", "\"subjectEmail\":\"a@b\",\"subject\"")
                        .getBytes(StandardCharsets.UTF_8)));
        assertEquals(Reason.INVALID_POLICY, both.reason(), both.getMessage());
    }

    @Test
    void refusesWrongIdentityAndIssuer() throws Exception {
        String bundle = fx.bundle(spec(s -> {}));
        refuse(Reason.IDENTITY_MISMATCH, "e-mail", keyless(root, BundleFixture.ISSUER, "other@example.com", ""), bundle);
        refuse(Reason.IDENTITY_MISMATCH, "OIDC issuer", keyless(root, "https://other.example.com", BundleFixture.EMAIL, ""),
                bundle);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"MESSAGE", "DSSE"})
    void refusesWrongDigest(BundleFixture.Content content) throws Exception {
        byte[] other = BundleFixture.sha256("another manifest".getBytes(StandardCharsets.UTF_8));
        refuse(Reason.DIGEST_MISMATCH, "pulled manifest", keyless(), fx.bundle(spec(s -> {
            s.content = content;
            s.signedDigest = other;
        })));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"MESSAGE", "DSSE"})
    void refusesTamperedSignature(BundleFixture.Content content) throws Exception {
        refuse(Reason.INVALID_SIGNATURE, "does not verify with the bundle's certificate", keyless(), fx.bundle(spec(s -> {
            s.content = content;
            s.tamperSignature = true;
        })));
    }

    @Test
    void refusesExpiredCertificateWithoutTimestamp() throws Exception {
        KeyPair signer = BundleFixture.ec();
        Instant then = Instant.now().minus(Duration.ofDays(2));
        var expired = fx.leaf(signer, BundleFixture.ISSUER, BundleFixture.EMAIL, then, then.plus(Duration.ofMinutes(10)));
        // logged now, after the certificate expired
        refuse(Reason.WRONG_KEY, "does not chain", keyless(), fx.bundle(spec(s -> {
            s.signer = signer;
            s.leaf = expired;
        })));
        // an inclusion proof alone says nothing about when: no time at all
        refuse(Reason.WRONG_KEY, "no verified transparency log time or signed timestamp", keyless(), fx.bundle(spec(s -> {
            s.signer = signer;
            s.leaf = expired;
            s.set = false;
        })));
    }

    @Test
    void refusesBadInclusionProofOrCheckpoint() throws Exception {
        refuse(Reason.INVALID_SIGNATURE, "inclusion proof does not lead", keyless(), fx.bundle(spec(s -> s.tamperProof = true)));
        refuse(Reason.INVALID_SIGNATURE, "checkpoint is not signed", keyless(), fx.bundle(spec(s -> s.tamperCheckpoint = true)));
        refuse(Reason.INVALID_SIGNATURE, "no inclusion proof", keyless(), fx.bundle(spec(s -> s.proof = false)));
        refuse(Reason.INVALID_SIGNATURE, "no inclusion promise", keyless(), fx.bundle(spec(s -> {
            s.minor = 1;
            s.chainInBundle = true;
            s.set = false;
        })));
    }

    @Test
    void refusesUntrustedLogAndOtherPredicates() throws Exception {
        refuse(Reason.WRONG_KEY, "which the trusted root does not hold", keyless(),
                fx.bundle(spec(s -> s.logKey = BundleFixture.ec())));
        refuse(Reason.INVALID_SIGNATURE, "not cosign's signature predicate", keyless(), fx.bundle(spec(s -> {
            s.content = BundleFixture.Content.DSSE;
            s.predicateType = "https://slsa.dev/provenance/v1";
        })));
        refuse(Reason.WRONG_KEY, "no transparency log entry", keyless(), fx.bundle(spec(s -> s.tlog = false)));
    }

    @Test
    void identityPoliciesThatNameAReferenceRefuseBundles() throws Exception {
        String bundle = fx.bundle(spec(s -> {}));
        verify(keyless(root, BundleFixture.ISSUER, BundleFixture.EMAIL, ",\"signedIdentity\":{\"type\":\"matchRepository\"}"),
                bundle);
        refuse(Reason.IDENTITY_MISMATCH, "names no docker reference", keyless(root, BundleFixture.ISSUER, BundleFixture.EMAIL,
                ",\"signedIdentity\":{\"type\":\"exactRepository\",\"dockerRepository\":\"registry.example.com/ns/app\"}"),
                bundle);
    }

    @Test
    void legacyFulcioCaAndRekorKeyFieldsVerifyBundlesToo() throws Exception {
        Path ca = Files.writeString(dir.resolve("ca.pem"), BundleFixture.pem("CERTIFICATE", fx.caRoot.getEncoded()));
        Path rekor = Files.writeString(dir.resolve("rekor.pub"), BundleFixture.pem("PUBLIC KEY", fx.rekor.getPublic().getEncoded()));
        String policy = "{\"default\":[{\"type\":\"sigstoreSigned\",\"fulcio\":{\"caPath\":\"" + ca + "\",\"oidcIssuer\":\""
                + BundleFixture.ISSUER + "\",\"subjectEmail\":\"" + BundleFixture.EMAIL + "\"},\"rekorPublicKeyPath\":\""
                + rekor + "\"}]}";
        verify(policy, fx.bundle(spec(s -> {
            s.minor = 2;
            s.chainInBundle = true;
        })));
    }

    @Test
    void noBundleNoSignature() {
        SignatureVerificationException e = assertThrows(SignatureVerificationException.class, () -> verify(keyless()));
        assertEquals(Reason.NO_SIGNATURE, e.reason());
    }
}
