package org.cvmagent.image.signature;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.cvmagent.image.signature.SignatureVerificationException.Reason;
import org.cvmagent.image.testing.GpgFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signatures read from a lookaside store configured in registries.d, over file:// and over HTTP
 * from a real server on 127.0.0.1, with the policy, registries.d and keys from files or the KBS.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LookasideTest {

    private static final String REF = "registry.example.com/ns/app:v1";
    private static final RegistryReader NO_REGISTRY = new RegistryReader() {
        @Override
        public Optional<byte[]> manifest(DockerReference repository, String tag) throws IOException {
            throw new IOException("no registry in this test");
        }

        @Override
        public byte[] blob(DockerReference repository, String digest, long maxBytes) throws IOException {
            throw new IOException("no registry in this test");
        }
    };

    private Path tmp;
    private GpgFixture gpg;
    private OciImage image;
    private byte[] signature;
    private byte[] publicKey;
    private HttpServer server;
    private final Map<String, byte[]> served = new ConcurrentHashMap<>();
    private final List<String> requested = new CopyOnWriteArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    void setUp(@TempDir Path dir) throws Exception {
        tmp = dir;
        gpg = GpgFixture.create(dir.resolve("gpg"), "Lookaside Signer <lookaside@example.com>");
        image = OciImage.create(dir.resolve("img"), "v1", "lookaside");
        signature = gpg.sign(image.manifest(), REF);
        publicKey = gpg.exportPublicKey(false);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getRawPath();
            requested.add(path);
            byte[] body = served.get(path);
            int status = body == null ? 404 : 200;
            if (path.contains("/broken/")) {
                status = 500;
                body = null;
            }
            exchange.sendResponseHeaders(status, body == null ? -1 : body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                if (body != null) {
                    out.write(body);
                }
            }
        });
        server.start();
    }

    @AfterAll
    void tearDown() throws Exception {
        if (server != null) {
            server.stop(0);
        }
        if (gpg != null) {
            gpg.close();
        }
    }

    private String hex() {
        return image.manifestDigest().substring("sha256:".length());
    }

    private Path write(String name, String content) throws IOException {
        Path p = tmp.resolve(name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, content);
        return p;
    }

    private String policy(Path key) {
        return "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"registry.example.com/ns\":"
                + "[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"" + key + "\"}]}}}";
    }

    private SignaturePolicyVerifier load(String policyLocation, String registriesLocation, ResourceFetcher kbs)
            throws SignatureVerificationException {
        return new SignaturePolicyLoader(new ResourceLoader(kbs), () -> http, NO_REGISTRY, Duration.ofSeconds(10))
                .load(policyLocation, registriesLocation);
    }

    private static ResourceFetcher noKbs() {
        return uri -> {
            throw new IOException("no KBS here");
        };
    }

    @Test
    void readsSignaturesFromFileLookaside() throws Exception {
        Path store = tmp.resolve("file-store");
        Path sigDir = Files.createDirectories(store.resolve("ns/app@sha256=" + hex()));
        Files.write(sigDir.resolve("signature-1"), signature);
        Path key = Files.write(tmp.resolve("file-key.gpg"), publicKey);
        Path policy = write("file/policy.json", policy(key));
        write("file/registries.d/a.yaml", "docker:\n  registry.example.com/ns:\n    lookaside: file://" + store + "\n");
        SignaturePolicyVerifier v = load(policy.toString(), tmp.resolve("file/registries.d").toString(), noKbs());
        v.verify(DockerReference.parse(REF), image.manifest(), image.manifestDigest());

        Files.delete(sigDir.resolve("signature-1"));
        SignatureVerificationException e = assertThrows(SignatureVerificationException.class,
                () -> v.verify(DockerReference.parse(REF), image.manifest(), image.manifestDigest()));
        assertEquals(Reason.NO_SIGNATURE, e.reason());
    }

    @Test
    void readsSignaturesOverHttpUntil404() throws Exception {
        String base = "/sigs/ns/app@sha256=" + hex();
        byte[] junk = "not a signature".getBytes(StandardCharsets.UTF_8);
        served.put(base + "/signature-1", junk);
        served.put(base + "/signature-2", signature);
        requested.clear();
        Path key = Files.write(tmp.resolve("http-key.gpg"), publicKey);
        Path policy = write("http/policy.json", policy(key));
        // The legacy key name "sigstore" still means the lookaside store.
        write("http/registries.d/default.yaml", "default-docker:\n  sigstore: http://127.0.0.1:"
                + server.getAddress().getPort() + "/sigs\n");
        SignaturePolicyVerifier v = load(policy.toString(), tmp.resolve("http/registries.d").toString(), noKbs());
        v.verify(DockerReference.parse(REF), image.manifest(), image.manifestDigest());
        assertEquals(List.of(base + "/signature-1", base + "/signature-2", base + "/signature-3"), requested);
    }

    @Test
    void httpErrorIsNotTreatedAsUnsigned() throws Exception {
        Path key = Files.write(tmp.resolve("broken-key.gpg"), publicKey);
        Path policy = write("broken/policy.json", policy(key));
        write("broken/registries.d/default.yaml", "default-docker:\n  lookaside: http://127.0.0.1:"
                + server.getAddress().getPort() + "/broken\n");
        SignaturePolicyVerifier v = load(policy.toString(), tmp.resolve("broken/registries.d").toString(), noKbs());
        SignatureVerificationException e = assertThrows(SignatureVerificationException.class,
                () -> v.verify(DockerReference.parse(REF), image.manifest(), image.manifestDigest()));
        assertEquals(Reason.RESOURCE_UNAVAILABLE, e.reason());
        assertTrue(e.getMessage().contains("HTTP 500"), e.getMessage());
    }

    @Test
    void policyRegistriesAndKeyFromKbs() throws Exception {
        served.put("/kbs-sigs/ns/app@sha256=" + hex() + "/signature-1", signature);
        Map<String, byte[]> kbs = Map.of(
                "kbs:///default/security-policy/test",
                policy(Path.of("/unused")).replace("/unused", "kbs:///default/gpg-keys/signer").getBytes(StandardCharsets.UTF_8),
                "kbs:///default/registries/test",
                ("docker:\n  registry.example.com:\n    lookaside: http://127.0.0.1:" + server.getAddress().getPort()
                        + "/kbs-sigs\n").getBytes(StandardCharsets.UTF_8),
                "kbs:///default/gpg-keys/signer", publicKey);
        ResourceFetcher fetcher = uri -> {
            byte[] data = kbs.get(uri.toString());
            if (data == null) {
                throw new IOException("KBS has no " + uri);
            }
            return data;
        };
        SignaturePolicyVerifier v = load("kbs:///default/security-policy/test", "kbs:///default/registries/test", fetcher);
        v.verify(DockerReference.parse(REF), image.manifest(), image.manifestDigest());
        // Another repository under the same namespace has no signature in the store.
        SignatureVerificationException e = assertThrows(SignatureVerificationException.class,
                () -> v.verify(DockerReference.parse("registry.example.com/ns/other:v1"), image.manifest(),
                        image.manifestDigest()));
        assertEquals(Reason.NO_SIGNATURE, e.reason());
    }
}
