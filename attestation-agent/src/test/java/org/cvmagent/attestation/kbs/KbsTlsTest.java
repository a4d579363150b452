package org.cvmagent.attestation.kbs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The KBS client over TLS, trusting only the configured kbs_cert. */
class KbsTlsTest {
    private static final byte[] SECRET = "tls-secret".getBytes(StandardCharsets.UTF_8);
    private static final ResourcePath PATH = new ResourcePath("default", "cosign-key", "1");

    @TempDir
    static Path dir;
    private static SelfSignedCertificate kbsCert;
    private static SelfSignedCertificate otherCert;
    private static KbsPeer peer;
    private final KbsClients clients = new KbsClients();

    @BeforeAll
    static void start() throws Exception {
        kbsCert = SelfSignedCertificate.create(dir, "kbs");
        otherCert = SelfSignedCertificate.create(dir, "someone-else");
        peer = KbsPeer.https(kbsCert.serverContext());
        peer.putResource(PATH.path(), SECRET);
    }

    @AfterAll
    static void stop() {
        peer.close();
    }

    private KbsClient client(Optional<String> trusted) throws KbsException {
        KbsConfig config = new KbsConfig(URI.create(peer.url()), trusted, TeeKeyAlgorithm.DEFAULT, false);
        return new KbsClient(config, clients.sample(), new KbsHttpClientFactory(Duration.ofSeconds(5)).create(config), clients.json,
                Clock.systemUTC(), clients.retry(), Optional.empty());
    }

    @Test
    void theConfiguredCertificateIsTrusted() throws Exception {
        assertArrayEquals(SECRET, client(Optional.of(kbsCert.certificatePem())).resource(PATH));
    }

    @Test
    void aKbsPresentingAnotherCertificateIsRefused() throws Exception {
        int before = peer.attestCalls.get();
        KbsException e = assertThrows(KbsException.class, () -> client(Optional.of(otherCert.certificatePem())).resource(PATH));

        assertEquals(KbsException.Kind.TRANSPORT, e.kind());
        assertTrue(e.getMessage().contains("SSL") || e.getMessage().contains("certification path"), e.getMessage());
        assertEquals(before, peer.attestCalls.get(), "no evidence went to an untrusted peer");
    }

    @Test
    void withoutAConfiguredCertificateTheDefaultTrustStoreRefusesASelfSignedKbs() {
        KbsException e = assertThrows(KbsException.class, () -> client(Optional.empty()).token());

        assertEquals(KbsException.Kind.TRANSPORT, e.kind());
    }

    @Test
    void aCertificateThatIsNotPemIsAConfigurationError() {
        KbsConfig config = new KbsConfig(URI.create(peer.url()), Optional.of("not a certificate"), TeeKeyAlgorithm.DEFAULT, false);

        KbsException e = assertThrows(KbsException.class, () -> new KbsHttpClientFactory(Duration.ofSeconds(5)).create(config));

        assertEquals(KbsException.Kind.CONFIGURATION, e.kind());
    }
}
