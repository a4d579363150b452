package org.cvmagent.image.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Attaches Sigstore bundles to images in a registry the way cosign v3 does (BUNDLE_SPEC.md): the
 * bundle as a blob, an OCI 1.1 artifact manifest whose subject is the image, and — for registries
 * without the referrers API, such as Debian's docker-registry 2.8 — the referrers index under the
 * {@code sha256-<hex>} tag. Also a stand-in registry front that serves the referrers API from what
 * was attached and forwards every other request to the real registry behind it.
 */
public final class ReferrersRegistry implements AutoCloseable {

    public static final String BUNDLE_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json";
    private static final String EMPTY_TYPE = "application/vnd.oci.empty.v1+json";
    private static final String MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json";
    private static final String INDEX_TYPE = "application/vnd.oci.image.index.v1+json";

    private final HttpClient http = HttpClient.newHttpClient();
    private final String upstream;
    private final Map<String, String> referrers = new ConcurrentHashMap<>();
    private final AtomicInteger referrersRequests = new AtomicInteger();
    private HttpServer front;

    /** @param upstream host:port of the plain-HTTP registry */
    public ReferrersRegistry(String upstream) {
        this.upstream = upstream;
    }

    /** The manifest digest {@code repo:tag} has in the registry. */
    public String manifestDigest(String repo, String tag) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create("http://" + upstream + "/v2/" + repo + "/manifests/" + tag))
                .header("Accept", MANIFEST_TYPE + ", " + INDEX_TYPE).build(), HttpResponse.BodyHandlers.ofByteArray());
        check(r, 200, "GET manifest");
        return sha256(r.body());
    }

    /**
     * Attaches {@code bundle} to {@code subjectDigest} in {@code repo}; with {@code referrersTag}
     * also writes the referrers index under the {@code sha256-<hex>} tag. The referrers API of
     * {@link #start()}'s front answers for it either way.
     */
    public void attach(String repo, String subjectDigest, byte[] bundle, boolean referrersTag) throws Exception {
        String bundleDigest = upload(repo, bundle);
        byte[] empty = "{}".getBytes(StandardCharsets.UTF_8);
        String emptyDigest = upload(repo, empty);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MANIFEST_TYPE + "\",\"artifactType\":\"" + BUNDLE_TYPE
                + "\",\"config\":{\"mediaType\":\"" + EMPTY_TYPE + "\",\"digest\":\"" + emptyDigest + "\",\"size\":2},"
                + "\"layers\":[{\"mediaType\":\"" + BUNDLE_TYPE + "\",\"digest\":\"" + bundleDigest + "\",\"size\":"
                + bundle.length + ",\"annotations\":{\"org.opencontainers.image.title\":\""
                + bundleDigest.replace(':', '-') + ".sigstore.json\"}}],"
                + "\"subject\":{\"mediaType\":\"" + MANIFEST_TYPE + "\",\"digest\":\"" + subjectDigest + "\",\"size\":0},"
                + "\"annotations\":{\"dev.sigstore.bundle.content\":\"dsse-envelope\"}}").getBytes(StandardCharsets.UTF_8);
        String manifestDigest = sha256(manifest);
        put(repo, manifestDigest, manifest, MANIFEST_TYPE);
        String index = "{\"schemaVersion\":2,\"mediaType\":\"" + INDEX_TYPE + "\",\"manifests\":[{\"mediaType\":\""
                + MANIFEST_TYPE + "\",\"digest\":\"" + manifestDigest + "\",\"size\":" + manifest.length
                + ",\"artifactType\":\"" + BUNDLE_TYPE + "\",\"annotations\":{\"dev.sigstore.bundle.content\":\"dsse-envelope\"}}]}";
        referrers.put(repo + "@" + subjectDigest, index);
        if (referrersTag) {
            put(repo, subjectDigest.replace(':', '-'), index.getBytes(StandardCharsets.UTF_8), INDEX_TYPE);
        }
    }

    /** Starts the front with the referrers API; returns its host:port. */
    public String start() throws IOException {
        front = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        front.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        front.createContext("/v2/", this::serve);
        front.start();
        return "127.0.0.1:" + front.getAddress().getPort();
    }

    public int referrersRequests() {
        return referrersRequests.get();
    }

    private void serve(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            int at = path.indexOf("/referrers/");
            if (at > 0) {
                referrersRequests.incrementAndGet();
                String repo = path.substring("/v2/".length(), at);
                String digest = path.substring(at + "/referrers/".length());
                String index = referrers.getOrDefault(repo + "@" + digest,
                        "{\"schemaVersion\":2,\"mediaType\":\"" + INDEX_TYPE + "\",\"manifests\":[]}");
                byte[] body = index.getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().add("Content-Type", INDEX_TYPE);
                ex.sendResponseHeaders(200, body.length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(body);
                }
                return;
            }
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + upstream + ex.getRequestURI()))
                    .method(ex.getRequestMethod(), HttpRequest.BodyPublishers.noBody());
            String accept = ex.getRequestHeaders().getFirst("Accept");
            if (accept != null) {
                b.header("Accept", accept);
            }
            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            for (String h : new String[] {"Content-Type", "Docker-Content-Digest", "Location"}) {
                r.headers().firstValue(h).ifPresent(v -> ex.getResponseHeaders().add(h, v));
            }
            boolean head = ex.getRequestMethod().equals("HEAD");
            ex.sendResponseHeaders(r.statusCode(), head || r.body().length == 0 ? -1 : r.body().length);
            if (!head && r.body().length > 0) {
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(r.body());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private String upload(String repo, byte[] data) throws Exception {
        String digest = sha256(data);
        HttpResponse<String> start = http.send(HttpRequest.newBuilder(URI.create("http://" + upstream + "/v2/" + repo
                + "/blobs/uploads/")).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        check(start, 202, "POST upload");
        URI location = URI.create("http://" + upstream + "/").resolve(start.headers().firstValue("Location").orElseThrow());
        String sep = location.toString().contains("?") ? "&" : "?";
        HttpResponse<String> done = http.send(HttpRequest.newBuilder(URI.create(location + sep + "digest=" + digest))
                .header("Content-Type", "application/octet-stream").PUT(HttpRequest.BodyPublishers.ofByteArray(data)).build(),
                HttpResponse.BodyHandlers.ofString());
        check(done, 201, "PUT blob");
        return digest;
    }

    private void put(String repo, String reference, byte[] manifest, String type) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + upstream + "/v2/" + repo + "/manifests/"
                + reference)).header("Content-Type", type).PUT(HttpRequest.BodyPublishers.ofByteArray(manifest)).build(),
                HttpResponse.BodyHandlers.ofString());
        check(r, 201, "PUT manifest " + reference);
    }

    private static void check(HttpResponse<?> r, int expected, String what) throws IOException {
        if (r.statusCode() != expected) {
            throw new IOException(what + ": HTTP " + r.statusCode() + " " + r.body());
        }
    }

    static String sha256(byte[] data) {
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        if (front != null) {
            front.stop(0);
        }
    }
}
