package org.cvmagent.image.signature;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.cvmagent.image.signature.SignatureVerificationException.Reason;
import org.cvmagent.image.testing.GpgFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * GPG simple signing end to end: keys made by gpg, signatures made by skopeo standalone-sign,
 * verified by BouncyCastle against the policy.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GpgSignedByTest {

    static final String REF = "registry.example.com/ns/app:v1";

    private Path tmp;

    private GpgFixture trusted;
    private GpgFixture untrusted;
    private OciImage image;
    private OciImage otherImage;
    private Path trustedKey;
    private byte[] goodSignature;

    @BeforeAll
    void createKeysAndImages(@TempDir Path dir) throws Exception {
        tmp = dir;
        Tools.requireBinary("skopeo");
        Tools.requireBinary("gpg");
        trusted = GpgFixture.create(tmp.resolve("gpg-trusted"), "Trusted Signer <trusted@example.com>");
        untrusted = GpgFixture.create(tmp.resolve("gpg-untrusted"), "Someone Else <else@example.com>");
        image = OciImage.create(tmp.resolve("img"), "v1", "hello");
        otherImage = OciImage.create(tmp.resolve("img2"), "v1", "tampered");
        trustedKey = tmp.resolve("trusted.gpg");
        Files.write(trustedKey, trusted.exportPublicKey(false));
        goodSignature = trusted.sign(image.manifest(), REF);
    }

    @AfterAll
    void stopAgents() throws Exception {
        if (trusted != null) {
            trusted.close();
        }
        if (untrusted != null) {
            untrusted.close();
        }
    }

    private String signedBy(String keyField, String identity) {
        return "{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\"," + keyField
                + (identity == null ? "" : ",\"signedIdentity\":" + identity) + "}]}";
    }

    private String signedBy(String identity) {
        return signedBy("\"keyPath\":\"" + trustedKey + "\"", identity);
    }

    private SignaturePolicyVerifier verifier(String policy, List<byte[]> signatures, ResourceFetcher kbs)
            throws SignatureVerificationException {
        return new SignaturePolicyVerifier(new PolicyParser().parse(policy.getBytes(StandardCharsets.UTF_8)),
                (ref, digest) -> signatures, (ref, digest) -> List.of(), new ResourceLoader(kbs));
    }

    private SignaturePolicyVerifier verifier(String policy, List<byte[]> signatures) throws SignatureVerificationException {
        return verifier(policy, signatures, uri -> {
            throw new IOException("no KBS in this test");
        });
    }

    private static SignatureVerificationException refused(Reason reason, SignaturePolicyVerifier v, String ref,
            OciImage img) {
        SignatureVerificationException e = assertThrows(SignatureVerificationException.class,
                () -> v.verify(DockerReference.parse(ref), img.manifest(), img.manifestDigest()));
        assertEquals(reason, e.reason(), e.getMessage());
        return e;
    }

    @Test
    void acceptsSkopeoSignatureByTrustedKey() throws Exception {
        verifier(signedBy(null), List.of(goodSignature)).verify(DockerReference.parse(REF), image.manifest(),
                image.manifestDigest());
    }

    @Test
    void acceptsSignatureFromSkopeoCopySignBy() throws Exception {
        Path dest = tmp.resolve("copied-" + System.nanoTime());
        Tools.run(List.of("skopeo", "--insecure-policy", "copy", "--sign-by", trusted.fingerprint(), "--sign-identity", REF,
                "oci:" + image.layout() + ":v1", "dir:" + dest), trusted.env());
        byte[] manifest = Files.readAllBytes(dest.resolve("manifest.json"));
        byte[] signature = Files.readAllBytes(dest.resolve("signature-1"));
        verifier(signedBy(null), List.of(signature)).verify(DockerReference.parse(REF), manifest,
                ManifestDigest.of(manifest, "sha256"));
        SignatureVerificationException e = assertThrows(SignatureVerificationException.class,
                () -> verifier(signedBy(null), List.of(signature)).verify(
                        DockerReference.parse("registry.example.com/ns/app:v2"), manifest, ManifestDigest.of(manifest, "sha256")));
        assertEquals(Reason.IDENTITY_MISMATCH, e.reason());
    }

    @Test
    void acceptsSignatureMadeWithASigningSubkey() throws Exception {
        try (GpgFixture withSubkey = GpgFixture.create(tmp.resolve("gpg-subkey"), "Subkey Signer <sub@example.com>")) {
            withSubkey.addSigningSubkey();
            List<String> keyIds = withSubkey.keyIds();
            assertEquals(2, keyIds.size(), keyIds::toString);
            byte[] sig = withSubkey.sign(image.manifest(), REF);
            // The signature names the subkey, not the primary key: BouncyCastle must find it in the keyring.
            org.bouncycastle.openpgp.PGPOnePassSignatureList onePass = onePassOf(sig);
            assertEquals(keyIds.get(1), java.util.HexFormat.of().withUpperCase().toHexDigits(onePass.get(0).getKeyID()));
            String keyData = Base64.getEncoder().encodeToString(withSubkey.exportPublicKey(true));
            verifier(signedBy("\"keyData\":\"" + keyData + "\"", null), List.of(sig))
                    .verify(DockerReference.parse(REF), image.manifest(), image.manifestDigest());
            refused(Reason.WRONG_KEY, verifier(signedBy(null), List.of(sig)), REF, image);
        }
    }

    private static org.bouncycastle.openpgp.PGPOnePassSignatureList onePassOf(byte[] sig) throws Exception {
        var factory = new org.bouncycastle.openpgp.bc.BcPGPObjectFactory(
                org.bouncycastle.openpgp.PGPUtil.getDecoderStream(new java.io.ByteArrayInputStream(sig)));
        Object o = factory.nextObject();
        if (o instanceof org.bouncycastle.openpgp.PGPCompressedData c) {
            o = new org.bouncycastle.openpgp.bc.BcPGPObjectFactory(c.getDataStream()).nextObject();
        }
        return (org.bouncycastle.openpgp.PGPOnePassSignatureList) o;
    }

    @Test
    void rejectsSignatureByRevokedKey() throws Exception {
        try (GpgFixture revoked = GpgFixture.create(tmp.resolve("gpg-revoked"), "Revoked Signer <revoked@example.com>")) {
            byte[] sig = revoked.sign(image.manifest(), REF);
            revoked.revoke();
            String keyData = Base64.getEncoder().encodeToString(revoked.exportPublicKey(false));
            SignatureVerificationException e = refused(Reason.WRONG_KEY,
                    verifier(signedBy("\"keyData\":\"" + keyData + "\"", null), List.of(sig)), REF, image);
            assertTrue(e.getMessage().contains("revoked"), e.getMessage());
        }
    }

    @Test
    void acceptsArmoredKeyEmbeddedAsKeyData() throws Exception {
        String keyData = Base64.getEncoder().encodeToString(trusted.exportPublicKey(true));
        verifier(signedBy("\"keyData\":\"" + keyData + "\"", null), List.of(goodSignature))
                .verify(DockerReference.parse(REF), image.manifest(), image.manifestDigest());
    }

    @Test
    void acceptsKeyFetchedFromKbs() throws Exception {
        byte[] key = trusted.exportPublicKey(false);
        ResourceFetcher kbs = uri -> {
            assertEquals("kbs:///default/gpg-keys/trusted", uri.toString());
            return key;
        };
        verifier(signedBy("\"keyPath\":\"kbs:///default/gpg-keys/trusted\"", null), List.of(goodSignature), kbs)
                .verify(DockerReference.parse(REF), image.manifest(), image.manifestDigest());
    }

    @Test
    void kbsFailureIsNotAnAcceptance() throws Exception {
        SignaturePolicyVerifier v = verifier(signedBy("\"keyPath\":\"kbs:///default/gpg-keys/trusted\"", null),
                List.of(goodSignature), uri -> {
                    throw new IOException("attestation failed");
                });
        refused(Reason.RESOURCE_UNAVAILABLE, v, REF, image);
    }

    @Test
    void rejectsSignatureByUntrustedKey() throws Exception {
        byte[] foreign = untrusted.sign(image.manifest(), REF);
        SignatureVerificationException e = refused(Reason.WRONG_KEY, verifier(signedBy(null), List.of(foreign)), REF, image);
        assertTrue(e.getMessage().contains("not a trusted key"), e.getMessage());
    }

    @Test
    void rejectsSignatureForAnotherManifest() throws Exception {
        // The trusted key signed `image`; the registry served `otherImage` under the same name.
        refused(Reason.DIGEST_MISMATCH, verifier(signedBy(null), List.of(goodSignature)), REF, otherImage);
    }

    @Test
    void rejectsManifestBytesThatDoNotMatchTheirDigest() throws Exception {
        SignaturePolicyVerifier v = verifier(signedBy(null), List.of(goodSignature));
        byte[] tampered = image.manifest().clone();
        tampered[tampered.length - 2] = (byte) ' ';
        SignatureVerificationException e = assertThrows(SignatureVerificationException.class,
                () -> v.verify(DockerReference.parse(REF), tampered, image.manifestDigest()));
        assertEquals(Reason.DIGEST_MISMATCH, e.reason());
    }

    @Test
    void rejectsCorruptedSignature() throws Exception {
        byte[] corrupt = goodSignature.clone();
        corrupt[corrupt.length / 2] ^= 0x55;
        SignatureVerificationException e = assertThrows(SignatureVerificationException.class,
                () -> verifier(signedBy(null), List.of(corrupt)).verify(DockerReference.parse(REF), image.manifest(),
                        image.manifestDigest()));
        assertTrue(e.reason() == Reason.WRONG_KEY || e.reason() == Reason.INVALID_SIGNATURE, e.getMessage());
    }

    @Test
    void noSignatureIsRefused() throws Exception {
        refused(Reason.NO_SIGNATURE, verifier(signedBy(null), List.of()), REF, image);
    }

    @Test
    void oneGoodSignatureAmongBadOnesIsEnough() throws Exception {
        byte[] foreign = untrusted.sign(image.manifest(), REF);
        verifier(signedBy(null), List.of(foreign, goodSignature)).verify(DockerReference.parse(REF), image.manifest(),
                image.manifestDigest());
    }

    @Test
    void rejectAndInsecureAcceptAnything() throws Exception {
        refused(Reason.REJECTED_BY_POLICY, verifier("{\"default\":[{\"type\":\"reject\"}]}", List.of(goodSignature)),
                REF, image);
        verifier("{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}", List.of())
                .verify(DockerReference.parse(REF), image.manifest(), image.manifestDigest());
    }

    @Test
    void everyRequirementInTheListMustPass() throws Exception {
        String policy = "{\"default\":[{\"type\":\"insecureAcceptAnything\"},{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\","
                + "\"keyPath\":\"" + trustedKey + "\"}]}";
        refused(Reason.NO_SIGNATURE, verifier(policy, List.of()), REF, image);
        verifier(policy, List.of(goodSignature)).verify(DockerReference.parse(REF), image.manifest(), image.manifestDigest());
    }

    @Test
    void scopeRejectOverridesSignedDefault() throws Exception {
        String policy = "{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"" + trustedKey + "\"}],"
                + "\"transports\":{\"docker\":{\"registry.example.com/ns\":[{\"type\":\"reject\"}]}}}";
        SignatureVerificationException e = refused(Reason.REJECTED_BY_POLICY, verifier(policy, List.of(goodSignature)),
                REF, image);
        assertTrue(e.getMessage().contains("docker:registry.example.com/ns"), e.getMessage());
    }

    @Test
    void identityMatchersAccept() throws Exception {
        String byDigest = "registry.example.com/ns/app@" + image.manifestDigest();
        // matchRepoDigestOrExact: exact tag, or any signature for the repository when pulled by digest.
        verifier(signedBy(null), List.of(goodSignature)).verify(DockerReference.parse(byDigest), image.manifest(),
                image.manifestDigest());
        byte[] signedV2 = trusted.sign(image.manifest(), "registry.example.com/ns/app:v2");
        verifier(signedBy("{\"type\":\"matchRepository\"}"), List.of(signedV2)).verify(DockerReference.parse(REF),
                image.manifest(), image.manifestDigest());
        verifier(signedBy("{\"type\":\"matchExact\"}"), List.of(goodSignature)).verify(DockerReference.parse(REF),
                image.manifest(), image.manifestDigest());
        verifier(signedBy("{\"type\":\"exactReference\",\"dockerReference\":\"registry.example.com/ns/app:v2\"}"),
                List.of(signedV2)).verify(DockerReference.parse("mirror.example.com/anything:else"), image.manifest(),
                image.manifestDigest());
        verifier(signedBy("{\"type\":\"exactRepository\",\"dockerRepository\":\"registry.example.com/ns/app\"}"),
                List.of(signedV2)).verify(DockerReference.parse("mirror.example.com/x:y"), image.manifest(),
                image.manifestDigest());
        verifier(signedBy("{\"type\":\"remapIdentity\",\"prefix\":\"mirror.example.com/copies\","
                + "\"signedPrefix\":\"registry.example.com/ns\"}"), List.of(goodSignature))
                .verify(DockerReference.parse("mirror.example.com/copies/app:v1"), image.manifest(), image.manifestDigest());
    }

    @Test
    void identityMatchersReject() throws Exception {
        byte[] signedV2 = trusted.sign(image.manifest(), "registry.example.com/ns/app:v2");
        byte[] otherRepo = trusted.sign(image.manifest(), "registry.example.com/ns/evil:v1");
        refused(Reason.IDENTITY_MISMATCH, verifier(signedBy(null), List.of(signedV2)), REF, image);
        refused(Reason.IDENTITY_MISMATCH, verifier(signedBy("{\"type\":\"matchRepository\"}"), List.of(otherRepo)),
                REF, image);
        refused(Reason.IDENTITY_MISMATCH, verifier(signedBy("{\"type\":\"matchExact\"}"), List.of(goodSignature)),
                "registry.example.com/ns/app@" + image.manifestDigest(), image);
        refused(Reason.IDENTITY_MISMATCH, verifier(signedBy(
                "{\"type\":\"exactReference\",\"dockerReference\":\"registry.example.com/ns/app:v3\"}"),
                List.of(signedV2)), REF, image);
        refused(Reason.IDENTITY_MISMATCH, verifier(signedBy(
                "{\"type\":\"exactRepository\",\"dockerRepository\":\"registry.example.com/ns/other\"}"),
                List.of(goodSignature)), REF, image);
        String remap = "{\"type\":\"remapIdentity\",\"prefix\":\"mirror.example.com/copies\","
                + "\"signedPrefix\":\"registry.example.com/ns\"}";
        refused(Reason.IDENTITY_MISMATCH, verifier(signedBy(remap), List.of(goodSignature)),
                "mirror.example.com/copies/app:v2", image);
        // Outside the prefix nothing is remapped, and a component boundary is required.
        refused(Reason.IDENTITY_MISMATCH, verifier(signedBy(remap), List.of(goodSignature)),
                "mirror.example.com/copiesx/app:v1", image);
    }
}
