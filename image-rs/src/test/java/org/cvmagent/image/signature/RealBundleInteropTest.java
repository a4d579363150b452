package org.cvmagent.image.signature;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Bundles made by the real Sigstore (sigstore-go's examples, see src/test/resources/sigstore), read
 * by our parser and their public-good Rekor evidence checked with our code: an inclusion proof
 * up to a signed checkpoint (v0.2 bundle) and a signed entry timestamp (v0.1 bundle). What our own
 * test Sigstore produces is checked against the same code, so this pins it to the real formats.
 */
class RealBundleInteropTest {

    /** rekor.sigstore.dev's public key (PKIX), as Sigstore's trusted root publishes it. */
    private static final String REKOR_PUBLIC_GOOD = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2G2Y+2tabdTV5BcGiBIx0a9fAFwrkBbmLSGtks4L3qX6"
            + "yYY0zufBnhC8Ur/iy55GhWP/9A/bY2LhC30M9+RYtw==";

    private static byte[] resource(String name) throws Exception {
        try (InputStream in = RealBundleInteropTest.class.getResourceAsStream("/sigstore/" + name)) {
            return in.readAllBytes();
        }
    }

    private static List<TrustedRoot.LogKey> publicGood() throws Exception {
        PublicKey key = KeyFactory.getInstance("EC").generatePublic(
                new X509EncodedKeySpec(Base64.getDecoder().decode(REKOR_PUBLIC_GOOD)));
        return List.of(TrustedRoot.LogKey.of(key));
    }

    @Test
    void inclusionProofAndCheckpointOfARealV02Bundle() throws Exception {
        SigstoreBundle bundle = SigstoreBundle.parse(resource("sigstore-go-bundle-v02.json"));
        assertEquals(2, bundle.minorVersion());
        assertEquals(1, bundle.certificates().size());
        SigstoreBundle.TlogEntry entry = bundle.tlogEntries().getFirst();
        // our log ID is the one Rekor names itself by
        assertArrayEquals(publicGood().getFirst().logId(), entry.logId());
        // proof and checkpoint verify; without a promise the integrated time is not vouched for
        assertEquals(Optional.empty(), TransparencyLogEntries.verify(entry, publicGood(), true));

        // the message signature verifies with the certificate's key over the digest it names
        var ms = (SigstoreBundle.MessageSignature) bundle.content();
        Signature v = Signature.getInstance("NONEwithECDSA");
        v.initVerify(bundle.certificates().getFirst().getPublicKey());
        v.update(ms.digest());
        assertTrue(v.verify(ms.signature()));

        List<byte[]> hashes = new ArrayList<>(entry.inclusionProof().get().hashes());
        hashes.set(3, BundleFixture.flip(hashes.get(3)));
        var p = entry.inclusionProof().get();
        var tampered = new SigstoreBundle.TlogEntry(entry.logIndex(), entry.logId(), entry.kind(), entry.kindVersion(),
                entry.integratedTime(), entry.canonicalizedBody(), entry.signedEntryTimestamp(),
                Optional.of(new SigstoreBundle.InclusionProof(p.logIndex(), p.treeSize(), p.rootHash(), hashes, p.checkpoint())));
        SignatureVerificationException e = assertThrows(SignatureVerificationException.class,
                () -> TransparencyLogEntries.verify(tampered, publicGood(), true));
        assertTrue(e.getMessage().contains("inclusion proof does not lead"), e.getMessage());
    }

    @Test
    void theRealPublicGoodTrustedRootAndAFulcioCertificateItIssued() throws Exception {
        TrustedRoot root = TrustedRoot.parse(resource("sigstore-go-trusted-root-public-good.json"), "public good");
        assertEquals(1, root.transparencyLogs().size());
        assertArrayEquals(publicGood().getFirst().logId(), root.transparencyLogs().getFirst().logId());
        assertTrue(root.certificateAuthorities().size() >= 2, "Fulcio's CAs: " + root.certificateAuthorities().size());

        SigstoreBundle bundle = SigstoreBundle.parse(resource("sigstore-go-bundle-v02.json"));
        Instant signed = Instant.ofEpochSecond(bundle.tlogEntries().getFirst().integratedTime());
        String issuer = "https://token.actions.githubusercontent.com";
        FulcioVerifier fulcio = new FulcioVerifier(List.of(), root.certificateAuthorities(), issuer, "nobody@example.com");
        // the chain (through the trusted root's intermediate) and the OIDC issuer pass; the identity is a
        // GitHub workflow URI, not an e-mail
        SignatureVerificationException e = assertThrows(SignatureVerificationException.class,
                () -> fulcio.verifyLeaf(List.of(signed), bundle.certificates().getFirst(), List.of()));
        assertEquals(SignatureVerificationException.Reason.IDENTITY_MISMATCH, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("subject e-mail"), e.getMessage());
        // ours: subject, the workflow URI that Fulcio certified
        String workflow = bundle.certificates().getFirst().getSubjectAlternativeNames().stream()
                .filter(n -> Integer.valueOf(6).equals(n.get(0))).map(n -> (String) n.get(1)).findFirst().orElseThrow();
        assertTrue(workflow.startsWith("https://github.com/sigstore-conformance/"), workflow);
        new FulcioVerifier(List.of(), root.certificateAuthorities(), issuer, null, workflow)
                .verifyLeaf(List.of(signed), bundle.certificates().getFirst(), List.of());
        // an hour later the ten-minute certificate had expired
        SignatureVerificationException late = assertThrows(SignatureVerificationException.class,
                () -> fulcio.verifyLeaf(List.of(signed.plusSeconds(3600)), bundle.certificates().getFirst(), List.of()));
        assertEquals(SignatureVerificationException.Reason.WRONG_KEY, late.reason(), late.getMessage());
    }

    @Test
    void signedEntryTimestampOfARealV01Bundle() throws Exception {
        SigstoreBundle bundle = SigstoreBundle.parse(resource("sigstore-go-bundle-publish.json"));
        assertEquals(1, bundle.minorVersion());
        SigstoreBundle.TlogEntry entry = bundle.tlogEntries().getFirst();
        assertEquals(Optional.of(Instant.ofEpochSecond(entry.integratedTime())),
                TransparencyLogEntries.verify(entry, publicGood(), false));
        // another integrated time is not what the log signed
        var shifted = new SigstoreBundle.TlogEntry(entry.logIndex(), entry.logId(), entry.kind(), entry.kindVersion(),
                entry.integratedTime() + 1, entry.canonicalizedBody(), entry.signedEntryTimestamp(), entry.inclusionProof());
        assertThrows(SignatureVerificationException.class, () -> TransparencyLogEntries.verify(shifted, publicGood(), false));
    }
}
