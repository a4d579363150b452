package org.cvmagent.image.signature;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.cvmagent.image.signature.SignatureVerificationException.Reason;
import org.junit.jupiter.api.Test;

class ManifestDigestTest {

    private static final byte[] MANIFEST = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\"}"
            .getBytes(StandardCharsets.UTF_8);

    @Test
    void digestsTheExactBytesInTheNamedAlgorithm() throws Exception {
        String sha256 = ManifestDigest.of(MANIFEST, "sha256");
        String sha512 = ManifestDigest.of(MANIFEST, "sha512");
        assertTrue(ManifestDigest.matches(MANIFEST, sha256));
        assertTrue(ManifestDigest.matches(MANIFEST, sha512));
        byte[] reformatted = new String(MANIFEST, StandardCharsets.UTF_8).replace(",", ", ").getBytes(StandardCharsets.UTF_8);
        assertFalse(ManifestDigest.matches(reformatted, sha256));
        assertFalse(ManifestDigest.matches(MANIFEST, sha256.toUpperCase()));
        assertFalse(ManifestDigest.matches(MANIFEST, "md5:" + "0".repeat(32)));
    }

    @Test
    void signedSchema1ManifestsAreRefused() {
        byte[] schema1 = "{\"schemaVersion\":1,\"name\":\"a\",\"signatures\":[{}]}".getBytes(StandardCharsets.UTF_8);
        SignatureVerificationException e = assertThrows(SignatureVerificationException.class,
                () -> ManifestDigest.matches(schema1, ManifestDigest.of(schema1, "sha256")));
        assertEquals(Reason.INVALID_POLICY, e.reason());
    }

    @Test
    void credentialsInLookasideUrlsAreNotPrinted() {
        assertEquals("https://sigs.example.com:8443/a/signature-1",
                LookasideSignatureSource.redact(URI.create("https://user:secret@sigs.example.com:8443/a/signature-1")));
    }
}
