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
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.cvmagent.image.signature.SignatureVerificationException.Reason;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** sigstoreSigned with Fulcio certificates and Rekor bundles, and key-based with a Rekor key. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SigstoreKeylessTest {

    private static final String REF = "registry.example.com/ns/app:v1";

    private Path tmp;
    private FulcioFixture fulcio;
    private FulcioFixture otherCa;
    private OciImage image;
    private byte[] payload;
    private Path rekorPub;

    @BeforeAll
    void setUp(@TempDir Path dir) throws Exception {
        tmp = dir;
        fulcio = FulcioFixture.create(dir.resolve("ca"), FulcioFixture.ISSUER, FulcioFixture.EMAIL);
        otherCa = FulcioFixture.create(dir.resolve("other-ca"), FulcioFixture.ISSUER, FulcioFixture.EMAIL);
        image = OciImage.create(dir.resolve("img"), "v1", "keyless");
        payload = CosignAttachments.payload(REF, image.manifestDigest(), SigningPayload.COSIGN_TYPE)
                .getBytes(StandardCharsets.UTF_8);
        rekorPub = Files.writeString(dir.resolve("rekor.pub"), FulcioFixture.publicPem(fulcio.rekor.getPublic()));
    }

    private String fulcioPolicy(String issuer, String email) {
        return "{\"default\":[{\"type\":\"sigstoreSigned\",\"fulcio\":{\"caPath\":\"" + fulcio.rootPem
                + "\",\"oidcIssuer\":\"" + issuer + "\",\"subjectEmail\":\"" + email + "\"},\"rekorPublicKeyPath\":\""
                + rekorPub + "\"}]}";
    }

    private static SigstoreSignature signature(byte[] payload, String sigB64, Map<String, String> extra) {
        Map<String, String> annotations = new HashMap<>(extra);
        annotations.put(SigstoreSignature.SIGNATURE_ANNOTATION, sigB64);
        return new SigstoreSignature(SigstoreSignature.SIMPLE_SIGNING_MEDIA_TYPE, payload, annotations);
    }

    /** A keyless signature by {@code ca}'s leaf, logged by {@code logKey} at {@code at}. */
    private SigstoreSignature keyless(FulcioFixture ca, KeyPair log, Instant at) throws Exception {
        String sig = CosignAttachments.sign(ca.leafKey, payload);
        return signature(payload, sig, Map.of(
                SigstoreSignature.CERTIFICATE_ANNOTATION, ca.leafPem,
                SigstoreSignature.CHAIN_ANNOTATION, ca.intermediatePem + Files.readString(ca.rootPem),
                SigstoreSignature.BUNDLE_ANNOTATION, FulcioFixture.bundle(log.getPrivate(), ca.leafPem, sig, payload, at)));
    }

    private void verify(String policy, SigstoreSignature sig) throws SignatureVerificationException {
        new SignaturePolicyVerifier(new PolicyParser().parse(policy.getBytes(StandardCharsets.UTF_8)),
                (r, d) -> List.of(), (r, d) -> List.of(sig), new ResourceLoader(uri -> {
                    throw new IOException("no KBS");
                })).verify(DockerReference.parse(REF), image.manifest(), image.manifestDigest());
    }

    private void refuse(Reason reason, String policy, SigstoreSignature sig, String expected) {
        SignatureVerificationException e = assertThrows(SignatureVerificationException.class, () -> verify(policy, sig));
        assertEquals(reason, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void acceptsFulcioCertificateLoggedInRekor() throws Exception {
        verify(fulcioPolicy(FulcioFixture.ISSUER, FulcioFixture.EMAIL), keyless(fulcio, fulcio.rekor, Instant.now()));
    }

    @Test
    void rejectsOtherIssuerOrEmail() throws Exception {
        SigstoreSignature sig = keyless(fulcio, fulcio.rekor, Instant.now());
        refuse(Reason.IDENTITY_MISMATCH, fulcioPolicy("https://other-issuer.example.com", FulcioFixture.EMAIL), sig,
                "OIDC issuer");
        refuse(Reason.IDENTITY_MISMATCH, fulcioPolicy(FulcioFixture.ISSUER, "someone@example.com"), sig, "e-mail");
    }

    @Test
    void rejectsCertificateFromAnotherCa() throws Exception {
        refuse(Reason.WRONG_KEY, fulcioPolicy(FulcioFixture.ISSUER, FulcioFixture.EMAIL),
                keyless(otherCa, fulcio.rekor, Instant.now()), "does not chain to the Fulcio CA");
    }

    @Test
    void rejectsSignatureLoggedOutsideTheCertificateValidity() throws Exception {
        refuse(Reason.WRONG_KEY, fulcioPolicy(FulcioFixture.ISSUER, FulcioFixture.EMAIL),
                keyless(fulcio, fulcio.rekor, Instant.now().minus(Duration.ofDays(3))), "does not chain");
    }

    @Test
    void rejectsBundleFromAnUntrustedLog() throws Exception {
        refuse(Reason.INVALID_SIGNATURE, fulcioPolicy(FulcioFixture.ISSUER, FulcioFixture.EMAIL),
                keyless(fulcio, otherCa.rekor, Instant.now()), "not made by a trusted Rekor key");
    }

    @Test
    void rejectsBundleForAnotherPayloadOrMissingBundle() throws Exception {
        String sig = CosignAttachments.sign(fulcio.leafKey, payload);
        String otherBundle = FulcioFixture.bundle(fulcio.rekor.getPrivate(), fulcio.leafPem, sig,
                "other".getBytes(StandardCharsets.UTF_8), Instant.now());
        refuse(Reason.INVALID_SIGNATURE, fulcioPolicy(FulcioFixture.ISSUER, FulcioFixture.EMAIL),
                signature(payload, sig, Map.of(SigstoreSignature.CERTIFICATE_ANNOTATION, fulcio.leafPem,
                        SigstoreSignature.BUNDLE_ANNOTATION, otherBundle)), "different payload");
        refuse(Reason.INVALID_SIGNATURE, fulcioPolicy(FulcioFixture.ISSUER, FulcioFixture.EMAIL),
                signature(payload, sig, Map.of(SigstoreSignature.CERTIFICATE_ANNOTATION, fulcio.leafPem)),
                SigstoreSignature.BUNDLE_ANNOTATION);
    }

    @Test
    void keyBasedWithRekorRequiresABundleNamingTheKey() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair signer = g.generateKeyPair();
        Path key = Files.writeString(tmp.resolve("signer.pub"), FulcioFixture.publicPem(signer.getPublic()));
        String policy = "{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"" + key + "\",\"rekorPublicKeyPath\":\""
                + rekorPub + "\"}]}";
        String sig = CosignAttachments.sign(signer.getPrivate(), payload);
        String bundle = FulcioFixture.bundle(fulcio.rekor.getPrivate(), FulcioFixture.publicPem(signer.getPublic()), sig,
                payload, Instant.now());
        verify(policy, signature(payload, sig, Map.of(SigstoreSignature.BUNDLE_ANNOTATION, bundle)));
        refuse(Reason.INVALID_SIGNATURE, policy, signature(payload, sig, Map.of()), SigstoreSignature.BUNDLE_ANNOTATION);
        String bundleForOtherKey = FulcioFixture.bundle(fulcio.rekor.getPrivate(),
                FulcioFixture.publicPem(fulcio.rekor.getPublic()), sig, payload, Instant.now());
        refuse(Reason.WRONG_KEY, policy, signature(payload, sig, Map.of(SigstoreSignature.BUNDLE_ANNOTATION,
                bundleForOtherKey)), "different key or certificate");
    }

    @Test
    void canonicalJsonStrings() {
        assertEquals("\"a\\\"b\\\\c\\n\\u001f€\"", RekorSet.canonicalString("a\"b\\c\n\u001f€"));
    }
}
