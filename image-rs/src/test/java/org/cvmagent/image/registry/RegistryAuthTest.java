package org.cvmagent.image.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The client's side of bearer-token and basic auth, and its retries, against {@link FakeRegistry}. */
class RegistryAuthTest {
    private static final byte[] CONFIG = "{\"config\":{\"Cmd\":[\"/x\"]}}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] LAYER = "layer bytes".getBytes(StandardCharsets.UTF_8);
    private static final Credentials ALICE = new Credentials("alice", "s3cret");

    private static FakeRegistry registry(FakeRegistry.Auth auth, Credentials required) throws Exception {
        String manifest = """
                {"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"%s","digest":"%s","size":%d},
                 "layers":[{"mediaType":"%s","digest":"%s","size":%d}]}"""
                .formatted(MediaTypes.OCI_MANIFEST, MediaTypes.OCI_CONFIG, Digest.sha256(CONFIG), CONFIG.length,
                        MediaTypes.OCI_LAYER_TAR, Digest.sha256(LAYER), LAYER.length);
        return new FakeRegistry(auth, required, manifest.getBytes(StandardCharsets.UTF_8),
                Map.of(Digest.sha256(CONFIG).toString(), CONFIG, Digest.sha256(LAYER).toString(), LAYER));
    }

    private static byte[] authJson(FakeRegistry r, Credentials creds) {
        return ("{\"auths\":{\"" + r.host() + "\":{\"auth\":\"" + Base64.getEncoder().encodeToString(
                (creds.username() + ":" + creds.password()).getBytes(StandardCharsets.UTF_8)) + "\"}}}")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static RegistryClient client(FakeRegistry r, Credentials creds) throws Exception {
        AuthFile authFile = creds == null ? AuthFile.empty() : AuthFile.parse(authJson(r, creds));
        return new RegistryClient(plainHttp(r, authFile).withCredentialsOverPlainHttp());
    }

    /** FakeRegistry is plain HTTP: what the agent itself configures, which never sends credentials there. */
    private static RegistryConfig plainHttp(FakeRegistry r, RegistryCredentials credentials) {
        return RegistryConfig.defaults().withInsecureRegistries(Set.of(r.host()))
                .withCredentials(credentials).withRetries(3, Duration.ofMillis(10));
    }

    @Test
    void credentialsAreNeverSentToAPlainHttpRegistry() throws Exception {
        // The review's attack: the host downgraded a registry to plain HTTP and read the registry
        // credentials the agent had from the KBS on the wire.
        try (FakeRegistry r = registry(FakeRegistry.Auth.BASIC, ALICE)) {
            RegistryClient c = new RegistryClient(plainHttp(r, AuthFile.parse(authJson(r, ALICE))));
            RegistryException e = assertThrows(RegistryException.class,
                    () -> c.resolve(ImageReference.parse(r.host() + "/team/app:v1")));
            assertEquals(RegistryException.Reason.AUTH, e.reason());
            assertTrue(e.getMessage().contains("never sent in clear"), e.getMessage());
            assertTrue(r.authorizations().stream().noneMatch(a -> a.startsWith("Basic")), r.authorizations().toString());
        }
        try (FakeRegistry r = registry(FakeRegistry.Auth.BEARER, null)) {
            new RegistryClient(plainHttp(r, AuthFile.parse(authJson(r, ALICE))))
                    .resolve(ImageReference.parse(r.host() + "/library/app:v1"));
            assertTrue(r.tokenRequests.getFirst().endsWith("auth=null"), "an anonymous token request: "
                    + r.tokenRequests);
        }
    }

    @Test
    void bearerTokenIsFetchedWithAuthFileCredentialsOncePerScope() throws Exception {
        try (FakeRegistry r = registry(FakeRegistry.Auth.BEARER, ALICE)) {
            RegistryClient c = client(r, ALICE);
            ImageReference ref = ImageReference.parse(r.host() + "/team/app:v1");
            ResolvedImage image = c.resolve(ref);
            assertArrayEquals(CONFIG, c.fetchBlob(ref, image.manifest().config(), 1 << 20));
            assertArrayEquals(LAYER, c.fetchBlob(ref, image.manifest().layers().getFirst(), 1 << 20));
            assertEquals(1, r.tokenRequests.size(), "one token for the scope: " + r.tokenRequests);
            String req = r.tokenRequests.getFirst();
            assertTrue(req.contains("scope=repository:team/app:pull"), req);
            assertTrue(req.contains("service=fake"), req);
            assertTrue(req.contains("auth=" + ALICE.basicHeader()), "credentials from auth.json: " + req);
        }
    }

    @Test
    void anonymousTokensWorkWithoutCredentials() throws Exception {
        try (FakeRegistry r = registry(FakeRegistry.Auth.BEARER, null)) {
            c(r).resolve(ImageReference.parse(r.host() + "/library/app:v1"));
            assertTrue(r.tokenRequests.getFirst().endsWith("auth=null"), r.tokenRequests.toString());
        }
    }

    private static RegistryClient c(FakeRegistry r) throws Exception {
        return client(r, null);
    }

    @Test
    void wrongCredentialsAreAnAuthError() throws Exception {
        try (FakeRegistry r = registry(FakeRegistry.Auth.BEARER, ALICE)) {
            RegistryException e = assertThrows(RegistryException.class, () -> client(r, new Credentials("alice", "wrong"))
                    .resolve(ImageReference.parse(r.host() + "/team/app:v1")));
            assertEquals(RegistryException.Reason.AUTH, e.reason());
        }
    }

    @Test
    void basicAuthFromTheAuthFile() throws Exception {
        try (FakeRegistry r = registry(FakeRegistry.Auth.BASIC, ALICE)) {
            assertEquals(Digest.sha256(CONFIG).toString(),
                    client(r, ALICE).resolve(ImageReference.parse(r.host() + "/team/app:v1")).manifest().config().digest());
            RegistryException none = assertThrows(RegistryException.class,
                    () -> c(r).resolve(ImageReference.parse(r.host() + "/team/app:v1")));
            assertEquals(RegistryException.Reason.AUTH, none.reason());
            RegistryException wrong = assertThrows(RegistryException.class, () -> client(r, new Credentials("alice", "x"))
                    .resolve(ImageReference.parse(r.host() + "/team/app:v1")));
            assertEquals(RegistryException.Reason.AUTH, wrong.reason());
        }
    }

    @Test
    void serverErrorsAreRetriedWithABound() throws Exception {
        try (FakeRegistry r = registry(FakeRegistry.Auth.BEARER, null)) {
            r.failuresLeft.set(2);
            c(r).resolve(ImageReference.parse(r.host() + "/library/app:v1"));
            assertEquals(1, r.manifestGets.get());
            r.failuresLeft.set(10);
            RegistryException e = assertThrows(RegistryException.class,
                    () -> c(r).resolve(ImageReference.parse(r.host() + "/library/app:v1")));
            assertEquals(RegistryException.Reason.NETWORK, e.reason());
            assertEquals(7, r.failuresLeft.get(), "three attempts, then give up");
        }
    }

    @Test
    void aBlobThatDoesNotMatchItsDescriptorIsRefused() throws Exception {
        try (FakeRegistry r = registry(FakeRegistry.Auth.BEARER, null)) {
            RegistryClient c = c(r);
            ImageReference ref = ImageReference.parse(r.host() + "/library/app:v1");
            Descriptor lying = new Descriptor(MediaTypes.OCI_LAYER_TAR, Digest.sha256(LAYER).toString(), LAYER.length - 1,
                    null, null);
            RegistryException e = assertThrows(RegistryException.class, () -> c.fetchBlob(ref, lying, 1 << 20));
            assertEquals(RegistryException.Reason.DIGEST_MISMATCH, e.reason());
            RegistryException wrongDigest = assertThrows(RegistryException.class, () -> c.resolve(
                    ImageReference.parse(r.host() + "/library/app@" + Digest.sha256(new byte[] {9}))));
            assertEquals(RegistryException.Reason.DIGEST_MISMATCH, wrongDigest.reason(),
                    "served manifest does not hash to the requested digest");
        }
    }

    @Test
    void credentialsKeptInTheKbsAreReadWhenARegistryFirstAsksAndThenKept() throws Exception {
        try (FakeRegistry r = registry(FakeRegistry.Auth.BASIC, ALICE)) {
            AtomicInteger loads = new AtomicInteger();
            AtomicBoolean hubUp = new AtomicBoolean();
            String location = "kbs:///default/credential/test";
            RegistryClient c = new RegistryClient(RegistryConfig.defaults().withInsecureRegistries(Set.of(r.host()))
                    .withCredentials(new AuthFileOnFirstUse(location, () -> {
                        loads.incrementAndGet();
                        if (!hubUp.get()) {
                            throw new IOException("data hub down");
                        }
                        return authJson(r, ALICE);
                    })).withRetries(1, Duration.ofMillis(10)).withCredentialsOverPlainHttp());
            ImageReference ref = ImageReference.parse(r.host() + "/team/app:v1");
            RegistryException down = assertThrows(RegistryException.class, () -> c.resolve(ref));
            assertEquals(RegistryException.Reason.AUTH, down.reason(), down.getMessage());
            assertTrue(down.getMessage().contains(location + " are unavailable: data hub down"), down.getMessage());
            hubUp.set(true);
            ResolvedImage image = c.resolve(ref);
            assertArrayEquals(CONFIG, c.fetchBlob(ref, image.manifest().config(), 1 << 20));
            assertEquals(2, loads.get(), "read again after the failure, then kept");
        }
    }
}
