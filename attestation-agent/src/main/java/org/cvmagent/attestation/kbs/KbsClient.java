package org.cvmagent.attestation.kbs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import org.cvmagent.attestation.attester.Attester;
import org.cvmagent.attestation.attester.AttesterException;

/**
 * A client of Trustee's KBS: the RCAR handshake ({@code /auth} then {@code /attest}) and resource
 * requests, per {@code kbs/docs/kbs_attestation_protocol.md}.
 *
 * <p>Each handshake generates a fresh TEE key pair; the attested session (cookie, token, key) is
 * reused until the token's {@code exp}, and a 401 on a resource request triggers one fresh
 * handshake. Transport failures are retried per the {@link RetryPolicy}. Only resource paths and
 * sizes are logged: never resource bytes, tokens, cookies or keys.
 *
 * <p>Thread-safe: operations are serialised, so concurrent callers share one handshake.
 */
public final class KbsClient {
    /** The protocol version Trustee's KBS accepts ({@code =0.4.0}). */
    public static final String PROTOCOL_VERSION = "0.4.0";
    static final String SESSION_COOKIE = "kbs-session-id";
    static final String PREFIX = "/kbs/v0";
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
    /** Longest server-supplied error detail quoted in an exception message. */
    private static final int MAX_DETAIL = 400;
    private static final System.Logger LOG = System.getLogger(KbsClient.class.getName());

    private final KbsConfig config;
    private final Attester attester;
    private final HttpClient http;
    private final ObjectMapper json;
    private final Clock clock;
    private final RetryPolicy retry;
    private final Optional<String> initDataToml;
    private final ReentrantLock lock = new ReentrantLock();
    private Session session;

    /** An attested session: what the KBS knows this guest by, and the key it encrypts to. */
    private record Session(String cookie, AttestationToken token, TeeKeyPair key) {
        @Override
        public String toString() {
            return "Session[" + token + ", " + key + "]";
        }
    }

    /**
     * @param initDataToml the CoCo init-data TOML to send as {@code init-data}, if the guest has
     *     one (the KBS then checks it against the TEE's measurement of it)
     */
    public KbsClient(KbsConfig config, Attester attester, HttpClient http, ObjectMapper json, Clock clock,
            RetryPolicy retry, Optional<String> initDataToml) {
        this.config = Objects.requireNonNull(config);
        this.attester = Objects.requireNonNull(attester);
        this.http = Objects.requireNonNull(http);
        this.json = Objects.requireNonNull(json);
        this.clock = Objects.requireNonNull(clock);
        this.retry = Objects.requireNonNull(retry);
        this.initDataToml = Objects.requireNonNull(initDataToml);
    }

    /** The KBS this client talks to. */
    public KbsConfig config() {
        return config;
    }

    /** A valid attestation token, attesting first when none is cached or it has expired. */
    public AttestationToken token() throws KbsException {
        lock.lock();
        try {
            return currentSession().token();
        } finally {
            lock.unlock();
        }
    }

    /** The plaintext of a resource, attesting first when needed. */
    public byte[] resource(ResourcePath path) throws KbsException {
        lock.lock();
        try {
            Session current = currentSession();
            for (int attempt = 1; ; attempt++) {
                HttpResponse<String> response = send("GET resource " + path, current,
                        HttpRequest.newBuilder(endpoint("/resource/" + path.path())).GET());
                switch (response.statusCode()) {
                    case 200 -> {
                        byte[] plaintext = current.key().decrypt(response.body());
                        LOG.log(Level.INFO, "fetched KBS resource {0} ({1} bytes)", path, plaintext.length);
                        return plaintext;
                    }
                    case 401 -> {
                        session = null;
                        if (attempt > 1) {
                            throw new KbsException(KbsException.Kind.UNAUTHORIZED, "the KBS refused resource " + path
                                    + " even after a fresh attestation: " + problem(response));
                        }
                        // Sessions and tokens expire on the KBS's clock, not ours: attest again once.
                        LOG.log(Level.WARNING, "KBS answered 401 for resource {0}; attesting again", path);
                        current = currentSession();
                    }
                    case 403 -> throw new KbsException(KbsException.Kind.FORBIDDEN,
                            "the KBS policy does not release resource " + path + ": " + problem(response));
                    case 404 -> throw new KbsException(KbsException.Kind.NOT_FOUND,
                            "the KBS has no resource " + path + ": " + problem(response));
                    default -> throw unexpected("GET resource " + path, response);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private Session currentSession() throws KbsException {
        if (session == null || !session.token().reusableAt(clock.instant())) {
            session = null;
            session = handshake();
        }
        return session;
    }

    /** The RCAR handshake, repeated on transport failures; a refusal ends it at once. */
    private Session handshake() throws KbsException {
        for (int attempt = 1; ; attempt++) {
            try {
                return handshakeOnce();
            } catch (KbsException e) {
                if (e.kind() != KbsException.Kind.TRANSPORT || attempt >= retry.maxAttempts()) {
                    throw e;
                }
                LOG.log(Level.WARNING, "KBS handshake attempt {0} failed: {1}", attempt, e.getMessage());
                pause(attempt);
            }
        }
    }

    private Session handshakeOnce() throws KbsException {
        ObjectNode request = json.createObjectNode();
        request.put("version", PROTOCOL_VERSION);
        request.put("tee", attester.tee().wireName());
        ObjectNode extra = request.putObject("extra-params");
        var supported = extra.putArray("supported-hash-algorithms");
        for (HashAlgorithm h : HashAlgorithm.values()) {
            supported.add(h.wireName());
        }
        HttpResponse<String> auth = sendOnce("POST auth", null, post("/auth", request));
        if (auth.statusCode() != 200) {
            throw refusalOrFailure("POST auth", auth, KbsException.Kind.ATTESTATION_REJECTED);
        }
        String cookie = sessionCookie(auth);
        JsonNode challenge = parseJson(auth.body(), "the /auth challenge");
        JsonNode nonce = challenge.get("nonce");
        if (nonce == null || !nonce.isTextual() || nonce.textValue().isEmpty()) {
            throw new KbsException(KbsException.Kind.PROTOCOL, "the /auth challenge has no nonce");
        }
        HashAlgorithm hash = selectedHash(challenge.get("extra-params"));

        TeeKeyPair key = TeeKeyPair.generate(config.teeKeyAlgorithm());
        ObjectNode runtimeData = json.createObjectNode();
        runtimeData.put("nonce", nonce.textValue());
        runtimeData.set("tee-pubkey", key.publicJwk(json));

        // No secondary devices are attested, so additional evidence is the empty string, and the
        // primary evidence binds {tee-pubkey, nonce, additional-evidence} as Trustee recomputes it.
        String additionalEvidence = "";
        ObjectNode bound = runtimeData.deepCopy();
        bound.put("additional-evidence", additionalEvidence);
        byte[] reportData = hash.digest(CanonicalJson.bytes(bound));
        JsonNode evidence;
        try {
            evidence = parseJson(attester.evidence(reportData), "the " + attester.tee() + " evidence");
        } catch (AttesterException e) {
            throw new KbsException(KbsException.Kind.EVIDENCE, "the " + attester.tee() + " attester failed: " + e.getMessage(), e);
        }

        ObjectNode attestation = json.createObjectNode();
        if (initDataToml.isPresent()) {
            ObjectNode initData = attestation.putObject("init-data");
            initData.put("format", "toml");
            initData.put("body", initDataToml.get());
        } else {
            attestation.putNull("init-data");
        }
        attestation.set("runtime-data", runtimeData);
        ObjectNode teeEvidence = attestation.putObject("tee-evidence");
        teeEvidence.set("primary_evidence", evidence);
        teeEvidence.put("additional_evidence", additionalEvidence);

        HttpResponse<String> attest = sendOnce("POST attest", cookie, post("/attest", attestation));
        if (attest.statusCode() != 200) {
            throw refusalOrFailure("POST attest", attest, KbsException.Kind.ATTESTATION_REJECTED);
        }
        JsonNode token = parseJson(attest.body(), "the /attest response").get("token");
        if (token == null || !token.isTextual()) {
            throw new KbsException(KbsException.Kind.PROTOCOL, "the /attest response has no token");
        }
        AttestationToken parsed = AttestationToken.parse(token.textValue());
        LOG.log(Level.INFO, "attested to KBS {0} as {1} ({2} key, token expires {3})", config.authority(),
                attester.tee(), key.algorithm().configName(), parsed.expiry().map(Object::toString).orElse("never"));
        return new Session(cookie, parsed, key);
    }

    private HashAlgorithm selectedHash(JsonNode extraParams) throws KbsException {
        // Trustee's KBS sends "" here; only a challenge that names an algorithm changes the default.
        JsonNode selected = extraParams == null ? null : extraParams.get("selected-hash-algorithm");
        if (selected == null || selected.isNull()) {
            return HashAlgorithm.DEFAULT;
        }
        if (!selected.isTextual()) {
            throw new KbsException(KbsException.Kind.PROTOCOL, "the challenge's selected-hash-algorithm is not a string");
        }
        return HashAlgorithm.fromWireName(selected.textValue()).orElseThrow(() -> new KbsException(
                KbsException.Kind.PROTOCOL, "the KBS selected hash algorithm '" + truncate(selected.textValue())
                        + "', which this client did not offer"));
    }

    private HttpRequest.Builder post(String path, JsonNode body) throws KbsException {
        try {
            return HttpRequest.newBuilder(endpoint(path))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body)));
        } catch (JsonProcessingException e) {
            throw new KbsException(KbsException.Kind.PROTOCOL, "cannot serialise the " + path + " request", e);
        }
    }

    private URI endpoint(String path) {
        return URI.create(config.baseUrl() + PREFIX + path);
    }

    /** A resource request with the session's credentials, retried on transport failures. */
    private HttpResponse<String> send(String what, Session current, HttpRequest.Builder request) throws KbsException {
        // Both credentials go along: Trustee prefers the session and falls back to the bearer token.
        request.header("Authorization", "Bearer " + current.token().value());
        for (int attempt = 1; ; attempt++) {
            try {
                HttpResponse<String> response = sendOnce(what, current.cookie(), request);
                if (response.statusCode() >= 500) {
                    throw refusalOrFailure(what, response, KbsException.Kind.PROTOCOL);
                }
                return response;
            } catch (KbsException e) {
                if (e.kind() != KbsException.Kind.TRANSPORT || attempt >= retry.maxAttempts()) {
                    throw e;
                }
                LOG.log(Level.WARNING, "{0} attempt {1} failed: {2}", what, attempt, e.getMessage());
                pause(attempt);
            }
        }
    }

    private HttpResponse<String> sendOnce(String what, String cookie, HttpRequest.Builder request) throws KbsException {
        request.timeout(REQUEST_TIMEOUT);
        if (cookie != null) {
            request.setHeader("Cookie", SESSION_COOKIE + "=" + cookie);
        }
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new KbsException(KbsException.Kind.TRANSPORT, what + " to " + config.authority() + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KbsException(KbsException.Kind.TRANSPORT, what + " was interrupted", e);
        }
    }

    private void pause(int attempt) throws KbsException {
        try {
            retry.sleeper().sleep(retry.backoffAfter(attempt));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KbsException(KbsException.Kind.TRANSPORT, "interrupted while waiting to retry the KBS", e);
        }
    }

    private static String sessionCookie(HttpResponse<String> response) throws KbsException {
        for (String header : response.headers().allValues("Set-Cookie")) {
            String pair = header.split(";", 2)[0].trim();
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).trim().equals(SESSION_COOKIE)) {
                String value = pair.substring(eq + 1).trim();
                // RFC 6265 cookie-octets only: the value is echoed in a request header.
                if (value.matches("[\\x21\\x23-\\x2B\\x2D-\\x3A\\x3C-\\x5B\\x5D-\\x7E]+")) {
                    return value;
                }
                throw new KbsException(KbsException.Kind.PROTOCOL, "the /auth response's " + SESSION_COOKIE
                        + " cookie is not a valid cookie value");
            }
        }
        throw new KbsException(KbsException.Kind.PROTOCOL, "the /auth response sets no " + SESSION_COOKIE + " cookie");
    }

    private JsonNode parseJson(String text, String what) throws KbsException {
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

    /** 5xx is a transport failure (retryable); anything else is {@code refusal}. */
    private KbsException refusalOrFailure(String what, HttpResponse<String> response, KbsException.Kind refusal) {
        if (response.statusCode() >= 500) {
            return new KbsException(KbsException.Kind.TRANSPORT, what + ": KBS answered " + response.statusCode() + ": " + problem(response));
        }
        return new KbsException(refusal, what + ": KBS answered " + response.statusCode() + ": " + problem(response));
    }

    private KbsException unexpected(String what, HttpResponse<String> response) {
        return new KbsException(KbsException.Kind.PROTOCOL, what + ": unexpected KBS status " + response.statusCode() + ": " + problem(response));
    }

    /** The RFC 7807 problem details Trustee sends with an error, or the start of the body. */
    private String problem(HttpResponse<String> response) {
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

    private static String truncate(String s) {
        return s.length() <= MAX_DETAIL ? s : s.substring(0, MAX_DETAIL) + "...";
    }
}
