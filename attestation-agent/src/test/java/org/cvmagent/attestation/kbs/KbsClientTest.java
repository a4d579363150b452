package org.cvmagent.attestation.kbs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.cvmagent.attestation.attester.Attester;
import org.cvmagent.attestation.attester.TeeType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The KBS client against a protocol peer over plain HTTP on 127.0.0.1. */
class KbsClientTest {
    private static final byte[] SECRET = "image-key-0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    private static final ResourcePath KEY = new ResourcePath("default", "key", "image");

    private final KbsClients clients = new KbsClients();
    private KbsPeer peer;

    @BeforeEach
    void start() throws Exception {
        peer = KbsPeer.http();
        peer.putResource("default/key/image", SECRET);
    }

    @AfterEach
    void stop() {
        peer.close();
    }

    @ParameterizedTest
    @EnumSource(TeeKeyAlgorithm.class)
    void fullFlowReachesTheSecretWithEachTeeKeyKind(TeeKeyAlgorithm algorithm) throws Exception {
        KbsClient client = clients.overHttp(peer, algorithm, clients.sample(), Clock.systemUTC());

        assertArrayEquals(SECRET, client.resource(KEY));
        assertEquals(1, peer.authCalls.get());
        assertEquals(1, peer.attestCalls.get());
    }

    @Test
    void theAttestedSessionIsReusedUntilTheTokenExpires() throws Exception {
        KbsClient client = clients.overHttp(peer);

        client.resource(KEY);
        client.resource(KEY);
        AttestationToken token = client.token();

        assertEquals(1, peer.attestCalls.get());
        assertEquals(peer.lastToken, token.value());
        assertTrue(token.expiry().isPresent());
    }

    @Test
    void wrongNonceIsAClearAttestationRefusal() throws Exception {
        peer.nonceMismatch = true;
        KbsClient client = clients.overHttp(peer);

        KbsException e = assertThrows(KbsException.class, () -> client.resource(KEY));

        assertEquals(KbsException.Kind.ATTESTATION_REJECTED, e.kind());
        assertTrue(e.getMessage().contains("nonce in the handshake session is different"), e.getMessage());
        assertEquals(1, peer.attestCalls.get(), "a refusal is not retried");
        assertEquals(0, peer.resourceCalls.get());
    }

    @Test
    void tamperedEvidenceIsAClearAttestationRefusal() throws Exception {
        KbsClient client = clients.overHttp(peer, TeeKeyAlgorithm.DEFAULT, new TamperingAttester(clients.sample()), Clock.systemUTC());

        KbsException e = assertThrows(KbsException.class, () -> client.resource(KEY));

        assertEquals(KbsException.Kind.ATTESTATION_REJECTED, e.kind());
        assertTrue(e.getMessage().contains("REPORT_DATA is different"), e.getMessage());
        assertEquals(0, peer.resourceCalls.get());
    }

    @Test
    void aKbsThatDoesNotVerifyThisTeeRefusesAtAuth() throws Exception {
        Attester tdx = new Attester() {
            @Override
            public TeeType tee() {
                return TeeType.TDX;
            }

            @Override
            public String evidence(byte[] reportData) {
                throw new AssertionError("no evidence is asked for before the challenge");
            }
        };
        KbsClient client = clients.overHttp(peer, TeeKeyAlgorithm.DEFAULT, tdx, Clock.systemUTC());

        KbsException e = assertThrows(KbsException.class, client::token);

        assertEquals(KbsException.Kind.ATTESTATION_REJECTED, e.kind());
        assertTrue(e.getMessage().contains("POST /auth") && e.getMessage().contains("only the sample TEE"), e.getMessage());
        assertEquals(0, peer.attestCalls.get());
    }

    @Test
    void aChallengeWithoutTheSessionCookieIsAProtocolError() throws Exception {
        peer.omitCookie = true;
        KbsClient client = clients.overHttp(peer);

        KbsException e = assertThrows(KbsException.class, client::token);

        assertEquals(KbsException.Kind.PROTOCOL, e.kind());
        assertTrue(e.getMessage().contains("kbs-session-id"), e.getMessage());
        assertEquals(0, peer.attestCalls.get());
    }

    @Test
    void unknownResourceIsNotFound() throws Exception {
        KbsClient client = clients.overHttp(peer);

        KbsException e = assertThrows(KbsException.class, () -> client.resource(new ResourcePath("default", "key", "missing")));

        assertEquals(KbsException.Kind.NOT_FOUND, e.kind());
        assertTrue(e.getMessage().contains("default/key/missing"), e.getMessage());
    }

    @Test
    void anExpiredTokenIsRenewedByAttestingAgainBeforeTheRequest() throws Exception {
        TestClock clock = new TestClock();
        KbsClient client = clients.overHttp(peer, TeeKeyAlgorithm.DEFAULT, clients.sample(), clock);
        client.resource(KEY);
        String first = client.token().value();

        clock.advance(Duration.ofMinutes(6));

        assertArrayEquals(SECRET, client.resource(KEY));
        assertEquals(2, peer.attestCalls.get());
        assertEquals(2, peer.resourceCalls.get(), "no request was sent with the expired token");
        assertTrue(!first.equals(client.token().value()));
    }

    @Test
    void aTokenTheKbsNoLongerAcceptsIsRenewedTransparentlyOn401() throws Exception {
        KbsClient client = clients.overHttp(peer);
        client.resource(KEY);

        peer.revokeEverything();

        assertArrayEquals(SECRET, client.resource(KEY));
        assertEquals(2, peer.attestCalls.get());
        assertEquals(3, peer.resourceCalls.get(), "one refused request, then one after the fresh attestation");
    }

    @Test
    void persistent401AfterAFreshAttestationIsUnauthorized() throws Exception {
        peer.refuseResources = true;
        KbsClient client = clients.overHttp(peer);

        KbsException e = assertThrows(KbsException.class, () -> client.resource(KEY));

        assertEquals(KbsException.Kind.UNAUTHORIZED, e.kind());
        assertTrue(e.getMessage().contains("even after a fresh attestation"), e.getMessage());
        assertEquals(2, peer.attestCalls.get(), "re-attests once, not forever");
    }

    @Test
    void theKbsAnswers401ToAResourceRequestWithoutTokenOrCookie() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(peer.url() + "/kbs/v0/resource/default/key/image")).GET().build(),
                HttpResponse.BodyHandlers.ofString());

        assertEquals(401, response.statusCode());
        assertTrue(response.body().contains("TokenNotFound"));
    }

    @Test
    void theBearerTokenAloneAuthorisesAResourceRequest() throws Exception {
        KbsClient client = clients.overHttp(peer);
        String token = client.token().value();

        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(peer.url() + "/kbs/v0/resource/default/key/image"))
                        .header("Authorization", "Bearer " + token).GET().build(),
                HttpResponse.BodyHandlers.ofString());

        assertEquals(200, response.statusCode());
        assertTrue(response.body().contains("\"ciphertext\""));
    }

    @Test
    void serverErrorsAreRetriedWithBackoff() throws Exception {
        peer.serverErrorsToInject.set(2);
        KbsClient client = clients.overHttp(peer);

        assertArrayEquals(SECRET, client.resource(KEY));
        assertEquals(List.of(Duration.ofMillis(100), Duration.ofMillis(200)), clients.sleeps);
    }

    @Test
    void resourceRequestsAreRetriedOnServerErrorsWithinTheSession() throws Exception {
        KbsClient client = clients.overHttp(peer);
        client.resource(KEY);
        peer.serverErrorsToInject.set(2);

        assertArrayEquals(SECRET, client.resource(KEY));
        assertEquals(1, peer.attestCalls.get());
        assertEquals(4, peer.resourceCalls.get());
        assertEquals(List.of(Duration.ofMillis(100), Duration.ofMillis(200)), clients.sleeps);
    }

    @Test
    void theHashAlgorithmTheChallengeSelectsBindsTheRuntimeData() throws Exception {
        peer.selectedHash = "sha512";
        KbsClient client = clients.overHttp(peer);

        assertArrayEquals(SECRET, client.resource(KEY));
    }

    @Test
    void aSelectedHashAlgorithmThatWasNotOfferedIsAProtocolError() throws Exception {
        peer.selectedHash = "sm3";
        KbsClient client = clients.overHttp(peer);

        KbsException e = assertThrows(KbsException.class, client::token);

        assertEquals(KbsException.Kind.PROTOCOL, e.kind());
        assertTrue(e.getMessage().contains("sm3"), e.getMessage());
    }

    @Test
    void persistentServerErrorsGiveUpAfterTheBoundedAttempts() throws Exception {
        peer.serverErrorsToInject.set(100);
        KbsClient client = clients.overHttp(peer);

        KbsException e = assertThrows(KbsException.class, client::token);

        assertEquals(KbsException.Kind.TRANSPORT, e.kind());
        assertTrue(e.getMessage().contains("503"), e.getMessage());
        assertEquals(3, peer.authCalls.get());
    }

    @Test
    void anUnreachableKbsIsATransportError() throws Exception {
        String url = peer.url();
        peer.close();
        KbsConfig config = new KbsConfig(URI.create(url), Optional.empty(), TeeKeyAlgorithm.DEFAULT, true);
        KbsClient client = new KbsClient(config, clients.sample(), new KbsHttpClientFactory(Duration.ofSeconds(2)).create(config),
                clients.json, Clock.systemUTC(), clients.retry(), Optional.empty());

        KbsException e = assertThrows(KbsException.class, client::token);

        assertEquals(KbsException.Kind.TRANSPORT, e.kind(), e.getMessage());
        assertEquals(2, clients.sleeps.size());
    }

    @Test
    void plainHttpIsRefusedUnlessAllowed() {
        KbsConfig config = new KbsConfig(URI.create(peer.url()), Optional.empty(), TeeKeyAlgorithm.DEFAULT, false);

        KbsException e = assertThrows(KbsException.class, () -> new KbsHttpClientFactory(Duration.ofSeconds(2)).create(config));

        assertEquals(KbsException.Kind.CONFIGURATION, e.kind());
        assertTrue(e.getMessage().contains("plain HTTP"), e.getMessage());
    }

    @Test
    void initDataIsSentWhenConfigured() throws Exception {
        KbsConfig config = new KbsConfig(URI.create(peer.url()), Optional.empty(), TeeKeyAlgorithm.DEFAULT, true);
        KbsClient client = new KbsClient(config, clients.sample(), new KbsHttpClientFactory(Duration.ofSeconds(2)).create(config),
                clients.json, Clock.systemUTC(), clients.retry(), Optional.of("version = \"0.1.0\"\nalgorithm = \"sha384\"\n"));

        assertArrayEquals(SECRET, client.resource(KEY));
    }
}
