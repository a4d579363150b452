package org.cvmagent.image.signature;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;

/**
 * Fuzz target: registry bytes as a Sigstore bundle → the bundle parser and verifier, against a
 * test trust (keyless with a trusted root holding a CA, a Rekor key and a TSA; and a public key).
 * Refusing is fine (a SignatureVerificationException); any other throwable is a finding, and so
 * is accepting anything (no input can be signed by this run's fresh keys).
 *
 * <p>In {@code mvn test} this replays the saved inputs (bundles of every version and content type,
 * and two real public-good ones from sigstore-go, see src/test/resources/sigstore); {@code bin/fuzz
 * --target bundle} fuzzes it with coverage.
 */
class SigstoreBundleFuzzTest {

    private static final byte[] MANIFEST = "{\"schemaVersion\":2}".getBytes(StandardCharsets.UTF_8);
    private static BundleVerifier.Trust keyless;
    private static BundleVerifier.Trust byKey;

    @BeforeAll
    static void setUp() throws Exception {
        BundleFixture fx = new BundleFixture();
        TrustedRoot root = TrustedRoot.parse(fx.trustedRoot().getBytes(StandardCharsets.UTF_8), "fuzz");
        FulcioVerifier fulcio = new FulcioVerifier(List.of(), root.certificateAuthorities(), BundleFixture.ISSUER,
                BundleFixture.EMAIL);
        keyless = new BundleVerifier.Trust(Optional.empty(), Optional.of(fulcio), root.transparencyLogs(),
                root.timestampAuthorities());
        List<PublicKey> keys = List.of(BundleFixture.ec().getPublic());
        byKey = new BundleVerifier.Trust(Optional.of(keys), Optional.empty(), root.transparencyLogs(),
                root.timestampAuthorities());
    }

    @FuzzTest(maxDuration = "30s")
    void bundleBytesAreVerifiedOrRefused(byte[] data) {
        SigstoreBundle bundle;
        try {
            bundle = SigstoreBundle.parse(data);
        } catch (SignatureVerificationException refused) {
            return;
        }
        for (BundleVerifier.Trust trust : List.of(keyless, byKey)) {
            try {
                String how = BundleVerifier.verify(bundle, trust, MANIFEST);
                throw new AssertionError("accepted a bundle no key of this run signed: " + how);
            } catch (SignatureVerificationException refused) {
                // expected
            }
        }
    }
}
