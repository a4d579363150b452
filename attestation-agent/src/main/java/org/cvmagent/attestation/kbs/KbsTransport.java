package org.cvmagent.attestation.kbs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * HTTP exchanges with one KBS: JSON in and out, the session cookie and bearer token attached,
 * transport failures (I/O errors and 5xx) retried per the {@link RetryPolicy}, and Trustee's
 * RFC 7807 problem details turned into messages. Credentials are sent, never logged.
 */
final class KbsTransport {
    static final String SESSION_COOKIE = "kbs-session-id";
    static final String PREFIX = "/kbs/v0";
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
    /** Longest server-supplied error detail quoted in an exception message. */
    private static final int MAX_DETAIL = 400;
    private static final System.Logger LOG = System.getLogger(KbsTransport.class.getName());

    private final KbsConfig config;
    private final HttpClient http;
    private final ObjectMapper json;
    private final RetryPolicy retry;

    KbsTransport(KbsConfig config, HttpClient http, ObjectMapper json, RetryPolicy retry) {
        this.config = Objects.requireNonNull(config);
        this.http = Objects.requireNonNull(http);
        this.json = Objects.requireNonNull(json);
        this.retry = Objects.requireNonNull(retry);
    }

    KbsConfig config() {
        return config;
    }

    RetryPolicy retry() {
        return retry;
    }

    /** One POST of a JSON body; a 5xx or I/O error comes back as a TRANSPORT exception. */
    HttpResponse<String> post(String path, JsonNode body, Optional<String> cookie) throws KbsException {
        String text;
        try {
            text = json.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new KbsException(KbsException.Kind.PROTOCOL, "cannot serialise the " + path + " request", e);
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(endpoint(path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(text));
        return failOn5xx("POST " + path, send("POST " + path, request, cookie));
    }

    /** A GET with the session's credentials, retried on transport failures; 4xx is returned. */
    HttpResponse<String> get(String path, String cookie, AttestationToken token) throws KbsException {
        String what = "GET " + path;
        for (int attempt = 1; ; attempt++) {
            // Both credentials go along: Trustee prefers the session and falls back to the bearer token.
            HttpRequest.Builder request = HttpRequest.newBuilder(endpoint(path)).GET()
                    .header("Authorization", "Bearer " + token.value());
            try {
                return failOn5xx(what, send(what, request, Optional.of(cookie)));
            } catch (KbsException e) {
                if (e.kind() != KbsException.Kind.TRANSPORT || attempt >= retry.maxAttempts()) {
                    throw e;
                }
                LOG.log(Level.WARNING, "{0} attempt {1} failed: {2}", what, attempt, e.getMessage());
                pause(attempt);
            }
        }
    }

    /** Waits before retry {@code attempt + 1}. */
    void pause(int attempt) throws KbsException {
        try {
            retry.sleeper().sleep(retry.backoffAfter(attempt));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KbsException(KbsException.Kind.TRANSPORT, "interrupted while waiting to retry the KBS", e);
        }
    }

    /** The body as a JSON object, or a PROTOCOL error naming {@code what}. */
    JsonNode object(String text, String what) throws KbsException {
        try {
            JsonNode node = json.readTree(text);
            if (node == null || !node.isObject()) {
                throw new KbsException(KbsException.Kind.PROTOCOL, what + " is not a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new KbsException(KbsException.Kind.PROTOCOL, what + " is not valid JSON", e);
        }
    }

    /** The RFC 7807 problem details Trustee sends with an error, or the start of the body. */
    String problem(HttpResponse<String> response) {
        String body = response.body() == null ? "" : response.body();
        try {
            JsonNode node = json.readTree(body);
            if (node != null && node.isObject() && node.has("detail")) {
                String type = node.path("type").asText("");
                String shortType = type.substring(type.lastIndexOf('/') + 1);
                return (shortType.isEmpty() ? "" : shortType + ": ") + truncate(node.path("detail").asText(""));
            }
        } catch (JsonProcessingException e) {
            // Not problem details: quote the raw body instead, which is all there is to report.
            return truncate(body);
        }
        return truncate(body);
    }

    static String truncate(String s) {
        return s.length() <= MAX_DETAIL ? s : s.substring(0, MAX_DETAIL) + "...";
    }

    private URI endpoint(String path) {
        return URI.create(config.baseUrl() + PREFIX + path);
    }

    private HttpResponse<String> failOn5xx(String what, HttpResponse<String> response) throws KbsException {
        if (response.statusCode() >= 500) {
            throw new KbsException(KbsException.Kind.TRANSPORT, what + ": KBS answered " + response.statusCode() + ": "
                    + problem(response));
        }
        return response;
    }

    private HttpResponse<String> send(String what, HttpRequest.Builder request, Optional<String> cookie) throws KbsException {
        request.timeout(REQUEST_TIMEOUT);
        cookie.ifPresent(c -> request.setHeader("Cookie", SESSION_COOKIE + "=" + c));
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new KbsException(KbsException.Kind.TRANSPORT, what + " to " + config.authority() + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KbsException(KbsException.Kind.TRANSPORT, what + " was interrupted", e);
        }
    }
}
