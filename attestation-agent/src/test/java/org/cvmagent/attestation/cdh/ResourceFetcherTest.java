package org.cvmagent.attestation.cdh;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.cvmagent.attestation.kbs.KbsClient;
import org.cvmagent.attestation.kbs.KbsException;
import org.cvmagent.attestation.kbs.KbsPeerFixture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** GetResource through a real client against the KBS protocol peer. */
class ResourceFetcherTest {
    private static final byte[] POLICY = "{\"default\":[{\"type\":\"reject\"}]}".getBytes(StandardCharsets.UTF_8);

    private KbsPeerFixture kbs;
    private ResourceFetcher fetcher;

    @BeforeEach
    void start() throws Exception {
        kbs = KbsPeerFixture.start();
        kbs.putResource("default/security-policy/test", POLICY);
        fetcher = new ResourceFetcher(kbs.client());
    }

    @AfterEach
    void stop() {
        kbs.close();
    }

    @Test
    void fetchesFromTheConfiguredKbs() throws Exception {
        assertArrayEquals(POLICY, fetcher.get("kbs:///default/security-policy/test"));
    }

    @Test
    void aUriNamingTheConfiguredKbsIsAccepted() throws Exception {
        KbsClient client = kbs.client();
        assertArrayEquals(POLICY, new ResourceFetcher(client).get("kbs://" + client.config().authority() + "/default/security-policy/test"));
    }

    @Test
    void aUriNamingAnotherKbsIsRefused() {
        InvalidResourceUriException e = assertThrows(InvalidResourceUriException.class,
                () -> fetcher.get("kbs://evil.example:8080/default/security-policy/test"));

        assertTrue(e.getMessage().contains("evil.example:8080"), e.getMessage());
    }

    @Test
    void anUnknownResourceIsNotFound() {
        KbsException e = assertThrows(KbsException.class, () -> fetcher.get("kbs:///default/security-policy/other"));

        assertEquals(KbsException.Kind.NOT_FOUND, e.kind());
    }
}
