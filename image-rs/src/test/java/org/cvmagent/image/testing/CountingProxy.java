package org.cvmagent.image.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** A reverse proxy in front of a registry that counts GETs per path, to see what a pull fetched. */
public final class CountingProxy implements AutoCloseable {
    private static final List<String> PASSED = List.of("Content-Type", "Docker-Content-Digest", "Location",
            "WWW-Authenticate");
    private final HttpServer server;
    private final HttpClient http = HttpClient.newHttpClient();
    private final String upstream;
    private final Map<String, AtomicInteger> gets = new ConcurrentHashMap<>();

    public CountingProxy(String upstreamHostPort) throws IOException {
        this.upstream = "http://" + upstreamHostPort;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::forward);
        server.start();
    }

    public String host() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    /** GETs seen for paths containing {@code fragment}. */
    public int gets(String fragment) {
        return gets.entrySet().stream().filter(e -> e.getKey().contains(fragment))
                .mapToInt(e -> e.getValue().get()).sum();
    }

    private void forward(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getRawPath();
            if (ex.getRequestMethod().equals("GET")) {
                gets.computeIfAbsent(path, k -> new AtomicInteger()).incrementAndGet();
            }
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(upstream + ex.getRequestURI()))
                    .method(ex.getRequestMethod(), HttpRequest.BodyPublishers.noBody());
            String accept = ex.getRequestHeaders().getFirst("Accept");
            if (accept != null) {
                b.header("Accept", accept);
            }
            HttpResponse<InputStream> r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            for (String h : PASSED) {
                r.headers().firstValue(h).ifPresent(v -> ex.getResponseHeaders().add(h, v));
            }
            long length = r.headers().firstValueAsLong("Content-Length").orElse(0);
            ex.sendResponseHeaders(r.statusCode(), length == 0 ? -1 : length);
            try (InputStream in = r.body(); OutputStream out = ex.getResponseBody()) {
                in.transferTo(out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
