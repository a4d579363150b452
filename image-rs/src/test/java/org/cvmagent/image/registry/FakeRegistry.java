package org.cvmagent.image.registry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test peer speaking the distribution API for one small image, guarded by a bearer-token
 * flow (its own token endpoint) or by basic auth, and able to fail the first requests with 503.
 * Real docker-registry's token auth needs a signing setup; this peer checks the client's side
 * of the exchange.
 */
final class FakeRegistry implements AutoCloseable {
    enum Auth { BEARER, BASIC }

    private final HttpServer server;
    private final Auth auth;
    private final Credentials credentials;
    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    private final Set<String> issued = ConcurrentHashMap.newKeySet();
    final List<String> tokenRequests = new CopyOnWriteArrayList<>();
    /** Every Authorization header the API endpoints received. */
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    final AtomicInteger failuresLeft = new AtomicInteger();
    final AtomicInteger manifestGets = new AtomicInteger();
    private final byte[] manifest;

    FakeRegistry(Auth auth, Credentials credentials, byte[] manifest, Map<String, byte[]> blobs) throws IOException {
        this.auth = auth;
        this.credentials = credentials;
        this.manifest = manifest;
        this.blobs.putAll(blobs);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/token", this::token);
        server.createContext("/v2/", this::api);
        server.start();
    }

    List<String> authorizations() {
        return List.copyOf(authorizations);
    }

    String host() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    private void token(HttpExchange ex) throws IOException {
        String query = URLDecoder.decode(ex.getRequestURI().getRawQuery(), StandardCharsets.UTF_8);
        String given = ex.getRequestHeaders().getFirst("Authorization");
        tokenRequests.add(query + " auth=" + given);
        if (credentials != null && !credentials.basicHeader().equals(given)) {
            send(ex, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"bad credentials\"}]}".getBytes(), null);
            return;
        }
        String token = "tok-" + issued.size();
        issued.add(token);
        send(ex, 200, ("{\"token\":\"" + token + "\",\"expires_in\":300}").getBytes(), "application/json");
    }

    private void api(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        if (failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            send(ex, 503, "{}".getBytes(), null);
            return;
        }
        String given = ex.getRequestHeaders().getFirst("Authorization");
        if (given != null) {
            authorizations.add(given);
        }
        boolean ok = switch (auth) {
            case BEARER -> given != null && given.startsWith("Bearer ") && issued.contains(given.substring(7));
            case BASIC -> credentials.basicHeader().equals(given);
        };
        if (!ok) {
            String repo = path.replaceFirst("^/v2/", "").replaceFirst("/(manifests|blobs)/.*$", "");
            ex.getResponseHeaders().add("WWW-Authenticate", auth == Auth.BEARER
                    ? "Bearer realm=\"http://" + host() + "/token\",service=\"fake\",scope=\"repository:" + repo + ":pull\""
                    : "Basic realm=\"fake\"");
            send(ex, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}".getBytes(), null);
            return;
        }
        if (path.contains("/manifests/")) {
            manifestGets.incrementAndGet();
            send(ex, 200, manifest, MediaTypes.OCI_MANIFEST);
            return;
        }
        byte[] blob = blobs.get(path.substring(path.lastIndexOf('/') + 1));
        if (blob == null) {
            send(ex, 404, "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\",\"message\":\"blob unknown\"}]}".getBytes(), null);
            return;
        }
        send(ex, 200, blob, "application/octet-stream");
    }

    private static void send(HttpExchange ex, int status, byte[] body, String type) throws IOException {
        try (ex) {
            if (type != null) {
                ex.getResponseHeaders().add("Content-Type", type);
            }
            ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
