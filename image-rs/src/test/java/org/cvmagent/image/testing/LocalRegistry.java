package org.cvmagent.image.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.cvmagent.image.registry.Digest;
import org.cvmagent.image.store.Trees;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Debian's docker-registry on 127.0.0.1 (plain HTTP, filesystem storage in a temp dir), started
 * once per test class; images are pushed to it with skopeo from OCI layouts the tests build.
 * With a certificate and key it serves HTTPS instead.
 */
public final class LocalRegistry implements BeforeAllCallback, AfterAllCallback {
    public static final String BINARY = "/usr/bin/docker-registry";
    public static final String SKOPEO = "/usr/bin/skopeo";
    private final Path tlsCert;
    private final Path tlsKey;
    private Path work;
    private int port;
    private Process process;

    public LocalRegistry() {
        this(null, null);
    }

    public LocalRegistry(Path tlsCert, Path tlsKey) {
        this.tlsCert = tlsCert;
        this.tlsKey = tlsKey;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        Commands.requireBinary(BINARY);
        Commands.requireBinary(SKOPEO);
        work = Files.createTempDirectory("registry-");
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String tls = tlsCert == null ? "" : "  tls:\n    certificate: " + tlsCert + "\n    key: " + tlsKey + "\n";
        Path config = work.resolve("config.yml");
        Files.writeString(config, """
                version: 0.1
                log:
                  level: warn
                  accesslog:
                    disabled: true
                storage:
                  filesystem:
                    rootdirectory: %s
                  delete:
                    enabled: true
                http:
                  addr: 127.0.0.1:%d
                %s""".formatted(work.resolve("storage"), port, tls));
        Files.writeString(work.resolve("policy.json"), "{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}");
        process = new ProcessBuilder(BINARY, "serve", config.toString())
                .redirectErrorStream(true).redirectOutput(work.resolve("registry.log").toFile()).start();
        waitUntilUp();
    }

    private void waitUntilUp() throws Exception {
        HttpClient http = tlsCert == null ? HttpClient.newHttpClient()
                : HttpClient.newBuilder().sslContext(InsecureTls.trustAll()).build();
        URI ping = URI.create((tlsCert == null ? "http" : "https") + "://127.0.0.1:" + port + "/v2/");
        for (int i = 0; i < 200; i++) {
            if (!process.isAlive()) {
                fail("docker-registry exited: " + Files.readString(work.resolve("registry.log")));
            }
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(ping).build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
                Thread.sleep(50);
            }
        }
        fail("docker-registry did not come up: " + Files.readString(work.resolve("registry.log")));
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (process != null) {
            process.destroy();
            assertTrue(process.waitFor(10, TimeUnit.SECONDS) || process.destroyForcibly().waitFor(10, TimeUnit.SECONDS));
        }
        if (work != null) {
            Trees.deleteRecursively(work);
        }
    }

    /** host:port of the registry. */
    public String host() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** Pushes {@code tag} of an OCI layout to {@code repo:tag} with skopeo (all platforms of an index). */
    public void push(OciLayout layout, String tag, String repo) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(SKOPEO, "--policy", work.resolve("policy.json").toString(), "copy",
                "--all", "--preserve-digests", "--dest-tls-verify=false"));
        cmd.add("oci:" + layout.dir() + ":" + tag);
        cmd.add("docker://" + host() + "/" + repo + ":" + tag);
        Commands.run(cmd);
    }

    /**
     * Pushes {@code tag} of a single-platform OCI layout to {@code repo:tag}, signed by
     * {@code signer} with skopeo's simple signing (the identity is the pushed reference). skopeo
     * writes the signature into the {@code lookaside-staging} store that {@code registriesD}
     * configures for this registry; the registry itself holds no signature.
     */
    public void pushSigned(OciLayout layout, String tag, String repo, GpgFixture signer, Path registriesD)
            throws IOException, InterruptedException {
        Commands.output(List.of(SKOPEO, "--policy", work.resolve("policy.json").toString(), "--registries.d",
                registriesD.toString(), "copy", "--preserve-digests", "--dest-tls-verify=false", "--sign-by",
                signer.fingerprint(), "oci:" + layout.dir() + ":" + tag, "docker://" + host() + "/" + repo + ":" + tag),
                signer.env());
    }

    /**
     * Copies {@code tag} of an OCI layout to {@code dest} (e.g. {@code docker://host/repo:tag} or
     * {@code oci:DIR:tag}) with every layer encrypted by skopeo's ocicrypt for each of
     * {@code recipients} ({@code jwe:/path/pub.pem}).
     */
    public void copyEncrypted(OciLayout layout, String tag, String dest, List<String> recipients)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(SKOPEO, "--policy", work.resolve("policy.json").toString(), "copy",
                "--dest-tls-verify=false"));
        for (String r : recipients) {
            cmd.add("--encryption-key");
            cmd.add(r);
        }
        cmd.add("oci:" + layout.dir() + ":" + tag);
        cmd.add(dest);
        Commands.run(cmd);
    }

    /** The stored blob file in the registry's filesystem storage. */
    public Path blobData(Digest digest) {
        return work.resolve("storage/docker/registry/v2/blobs/sha256").resolve(digest.hex().substring(0, 2))
                .resolve(digest.hex()).resolve("data");
    }
}
