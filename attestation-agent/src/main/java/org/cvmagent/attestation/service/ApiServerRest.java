package org.cvmagent.attestation.service;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import org.cvmagent.attestation.cdh.InvalidResourceUriException;
import org.cvmagent.attestation.cdh.ResourceFetcher;
import org.cvmagent.attestation.kbs.KbsClient;
import org.cvmagent.attestation.kbs.KbsException;

/**
 * CoCo's api-server-rest for workloads in the pod, on 127.0.0.1 only: {@code GET
 * /cdh/resource/<repo>/<type>/<tag>} answers the KBS resource's bytes and {@code GET
 * /aa/token?token_type=kbs} an attestation token. Errors are plain text with a status; the bytes
 * of secrets are never logged.
 */
public final class ApiServerRest implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ApiServerRest.class.getName());

    private final HttpServer server;

    private ApiServerRest(HttpServer server) {
        this.server = server;
    }

    /** Listens on 127.0.0.1:{@code port} (CoCo's is 8006; 0 picks a free one). */
    public static ApiServerRest start(int port, ResourceFetcher resources, KbsClient kbs) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 16);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/cdh/resource/", ex -> handle(ex, () -> {
            String rest = ex.getRequestURI().getRawPath().substring("/cdh/resource/".length());
            String path = URLDecoder.decode(rest, StandardCharsets.UTF_8);
            return resources.get("kbs:///" + path);
        }));
        server.createContext("/aa/token", ex -> handle(ex, () -> {
            String query = ex.getRequestURI().getQuery();
            if (query == null || !query.equals("token_type=kbs")) {
                throw new IllegalArgumentException("token_type=kbs is the token this guest serves");
            }
            return kbs.token().value().getBytes(StandardCharsets.US_ASCII);
        }));
        server.start();
        LOG.log(System.Logger.Level.INFO, "api-server-rest on http://127.0.0.1:" + server.getAddress().getPort());
        return new ApiServerRest(server);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private interface Body {
        byte[] get() throws InvalidResourceUriException, KbsException;
    }

    private static void handle(HttpExchange ex, Body body) throws IOException {
        try (ex) {
            if (!ex.getRequestMethod().equals("GET")) {
                send(ex, 405, "only GET is served".getBytes(StandardCharsets.UTF_8));
                return;
            }
            byte[] out;
            try {
                out = body.get();
            } catch (InvalidResourceUriException | IllegalArgumentException e) {
                send(ex, 400, e.getMessage().getBytes(StandardCharsets.UTF_8));
                return;
            } catch (KbsException e) {
                LOG.log(System.Logger.Level.WARNING, ex.getRequestURI().getPath() + ": " + e.getMessage());
                send(ex, 502, e.getMessage().getBytes(StandardCharsets.UTF_8));
                return;
            }
            ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
            send(ex, 200, out);
        }
    }

    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
