package org.cvmagent.attestation.kbs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEEncrypter;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDHEncrypter;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSAEncrypter;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;

/**
 * A KBS written from Trustee's {@code kbs_attestation_protocol.md} and its handlers, with a
 * verifier that accepts the sample TEE: {@code /auth} issues a nonce and the
 * {@code kbs-session-id} cookie, {@code /attest} checks the nonce and that the sample evidence's
 * report_data is sha384 of the canonical {tee-pubkey, nonce, additional-evidence} and returns an
 * ES256 JWT, {@code /resource} accepts the session cookie or the bearer token and answers a
 * flattened JSON JWE encrypted to the tee-pubkey. Errors are RFC 7807 problem details as Trustee
 * sends them.
 *
 * <p>Its canonical JSON is Jackson's sorted-keys output, independent of the client's
 * {@link CanonicalJson}, so a canonicalisation bug on either side fails the handshake.
 */
final class KbsPeer implements AutoCloseable {
    private static final String PROBLEM = "https://github.com/confidential-containers/kbs/errors/";

    private final HttpServer server;
    private final ObjectMapper json = new ObjectMapper();
    private final ObjectMapper canonical = new ObjectMapper().configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);
    private final SecureRandom random = new SecureRandom();
    private final ECKey tokenKey;
    private final Map<String, SessionState> sessions = new ConcurrentHashMap<>();
    private final Map<String, byte[]> resources = new ConcurrentHashMap<>();
    /** The JCA name of the digest the current challenge selected; one handshake at a time in these tests. */
    private final java.util.concurrent.atomic.AtomicReference<String> sessionHash = new java.util.concurrent.atomic.AtomicReference<>("SHA-384");

    final AtomicInteger authCalls = new AtomicInteger();
    final AtomicInteger attestCalls = new AtomicInteger();
    final AtomicInteger resourceCalls = new AtomicInteger();
    /** The next this many requests (any endpoint) answer 503. */
    final AtomicInteger serverErrorsToInject = new AtomicInteger();
    /** The challenge's nonce differs from the one the session expects (a stale or replayed challenge). */
    volatile boolean nonceMismatch;
    /** Every resource request is refused with 401, whatever the credentials. */
    volatile boolean refuseResources;
    volatile Duration tokenLifetime = Duration.ofMinutes(5);
    /** The hash algorithm the challenge selects (extra-params.selected-hash-algorithm); null selects none. */
    volatile String selectedHash;
    /** /auth answers without the session cookie, which the protocol requires. */
    volatile boolean omitCookie;
    private final java.util.Set<String> issuedTokens = ConcurrentHashMap.newKeySet();
    /** Tokens refused although their signature and exp are fine (the KBS restarted or revoked them). */
    private final java.util.Set<String> revokedTokens = ConcurrentHashMap.newKeySet();
    /** The last token issued, for tests that assert it never leaks. */
    volatile String lastToken;
    volatile String lastCookie;

    private static final class SessionState {
        final String nonce;
        volatile JsonNode teePubkey;
        volatile String token;

        SessionState(String nonce) {
            this.nonce = nonce;
        }
    }

    private KbsPeer(HttpServer server) throws JOSEException {
        this.server = server;
        this.tokenKey = new ECKeyGenerator(Curve.P_256).keyID("kbs-test").generate();
        server.createContext("/kbs/v0/auth", this::auth);
        server.createContext("/kbs/v0/attest", this::attest);
        server.createContext("/kbs/v0/resource/", this::resource);
        server.start();
    }

    static KbsPeer http() throws IOException, JOSEException {
        return new KbsPeer(HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0));
    }

    static KbsPeer https(SSLContext tls) throws IOException, JOSEException {
        HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        return new KbsPeer(server);
    }

    String url() {
        String scheme = server instanceof HttpsServer ? "https" : "http";
        return scheme + "://127.0.0.1:" + server.getAddress().getPort();
    }

    void putResource(String path, byte[] value) {
        resources.put(path, value.clone());
    }

    /** Forget every session and refuse every token issued so far, as a restarted KBS would. */
    void revokeEverything() {
        sessions.clear();
        revokedTokens.addAll(issuedTokens);
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private boolean injectedFailure(HttpExchange ex) throws IOException {
        if (serverErrorsToInject.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
            send(ex, 503, "text/plain", "temporarily unavailable".getBytes(StandardCharsets.UTF_8), null);
            return true;
        }
        return false;
    }

    private void auth(HttpExchange ex) throws IOException {
        try (ex) {
            authCalls.incrementAndGet();
            if (injectedFailure(ex)) {
                return;
            }
            if (!"POST".equals(ex.getRequestMethod())) {
                problem(ex, 405, "InvalidRequestPath", "POST only");
                return;
            }
            JsonNode request = json.readTree(ex.getRequestBody());
            if (!"0.4.0".equals(request.path("version").asText())) {
                problem(ex, 401, "AttestationError", "KBS Client Protocol Version Mismatch: expect =0.4.0 while the request is "
                        + request.path("version").asText());
                return;
            }
            if (!"sample".equals(request.path("tee").asText())) {
                problem(ex, 401, "AttestationError", "this KBS verifies only the sample TEE");
                return;
            }
            String nonce = freshNonce();
            sessionHash.set(selectedHash == null ? "SHA-384" : "SHA-" + selectedHash.substring(3));
            String id = UUID.randomUUID().toString().replace("-", "");
            sessions.put(id, new SessionState(nonceMismatch ? freshNonce() : nonce));
            lastCookie = id;
            Map<String, Object> challenge = new LinkedHashMap<>();
            challenge.put("nonce", nonce);
            challenge.put("extra-params", selectedHash == null ? "" : Map.of("selected-hash-algorithm", selectedHash));
            send(ex, 200, "application/json", json.writeValueAsBytes(challenge), omitCookie ? null
                    : "kbs-session-id=" + id + "; Expires=" + Date.from(Instant.now().plus(Duration.ofMinutes(5))));
        }
    }

    private void attest(HttpExchange ex) throws IOException {
        try (ex) {
            attestCalls.incrementAndGet();
            if (injectedFailure(ex)) {
                return;
            }
            SessionState session = session(ex);
            if (session == null) {
                problem(ex, 401, "AttestationError", "cookie not found or session unknown");
                return;
            }
            JsonNode attestation = json.readTree(ex.getRequestBody());
            JsonNode runtimeData = attestation.path("runtime-data");
            if (!session.nonce.equals(runtimeData.path("nonce").asText())) {
                problem(ex, 401, "AttestationError", "the nonce in the handshake session is different from the client side in "
                        + "KBS protocol's Attestation message");
                return;
            }
            Map<String, Object> pubkey = typedTeePubkey(runtimeData.path("tee-pubkey"));
            if (pubkey == null) {
                problem(ex, 401, "SerdeError", "tee-pubkey is not an RSA or EC JWK");
                return;
            }
            JsonNode composite = attestation.path("tee-evidence");
            String additional = composite.path("additional_evidence").asText();
            Map<String, Object> bound = new LinkedHashMap<>();
            bound.put("tee-pubkey", pubkey);
            bound.put("nonce", session.nonce);
            bound.put("additional-evidence", additional);
            byte[] expected = digest(sessionHash.get(), canonical.writeValueAsBytes(bound));
            JsonNode quote = composite.path("primary_evidence");
            if (!quote.path("svn").isTextual()) {
                problem(ex, 401, "AttestationError", "Deserialize Quote failed.");
                return;
            }
            byte[] reportData;
            try {
                reportData = Base64.getDecoder().decode(quote.path("report_data").asText());
            } catch (IllegalArgumentException e) {
                problem(ex, 401, "AttestationError", "base64 decode report data for sample evidence");
                return;
            }
            if (!MessageDigest.isEqual(expected, reportData)) {
                problem(ex, 401, "AttestationError", "Evidence's identity verification error: REPORT_DATA is different from that in Sample Quote");
                return;
            }
            String token = issueToken(pubkey);
            session.teePubkey = json.valueToTree(pubkey);
            session.token = token;
            lastToken = token;
            issuedTokens.add(token);
            send(ex, 200, "application/json", json.writeValueAsBytes(Map.of("token", token)), null);
        }
    }

    private void resource(HttpExchange ex) throws IOException {
        try (ex) {
            resourceCalls.incrementAndGet();
            if (injectedFailure(ex)) {
                return;
            }
            if (refuseResources) {
                problem(ex, 401, "PolicyDeny", "refused by test configuration");
                return;
            }
            JsonNode teePubkey = authorised(ex);
            if (teePubkey == null) {
                problem(ex, 401, "TokenNotFound", "no attested session and no valid bearer token");
                return;
            }
            String path = ex.getRequestURI().getPath().substring("/kbs/v0/resource/".length());
            byte[] value = resources.get(path);
            if (value == null) {
                problem(ex, 404, "InvalidRequestPath", "resource " + path + " not found");
                return;
            }
            try {
                send(ex, 200, "application/json", json.writeValueAsBytes(encrypt(teePubkey, value)), null);
            } catch (JOSEException | java.text.ParseException e) {
                problem(ex, 401, "JweError", e.getMessage());
            }
        }
    }

    /** The tee-pubkey from an attested, unexpired session, else from a valid bearer token. */
    private JsonNode authorised(HttpExchange ex) {
        SessionState session = session(ex);
        if (session != null && session.token != null && tokenValid(session.token)) {
            return session.teePubkey;
        }
        String authorization = ex.getRequestHeaders().getFirst("Authorization");
        if (authorization != null && authorization.startsWith("Bearer ")) {
            String token = authorization.substring("Bearer ".length());
            if (tokenValid(token)) {
                try {
                    return json.valueToTree(SignedJWT.parse(token).getJWTClaimsSet().getJSONObjectClaim("tee-pubkey"));
                } catch (java.text.ParseException e) {
                    return null;
                }
            }
        }
        return null;
    }

    private boolean tokenValid(String token) {
        try {
            SignedJWT jwt = SignedJWT.parse(token);
            JWTClaimsSet claims = jwt.getJWTClaimsSet();
            return jwt.verify(new ECDSAVerifier(tokenKey.toPublicJWK()))
                    && claims.getExpirationTime().toInstant().isAfter(Instant.now())
                    && !revokedTokens.contains(token);
        } catch (java.text.ParseException | JOSEException e) {
            return false;
        }
    }

    private SessionState session(HttpExchange ex) {
        List<String> cookies = ex.getRequestHeaders().get("Cookie");
        if (cookies == null) {
            return null;
        }
        for (String header : cookies) {
            for (String pair : header.split(";")) {
                String[] kv = pair.trim().split("=", 2);
                if (kv.length == 2 && kv[0].equals("kbs-session-id")) {
                    SessionState s = sessions.get(kv[1]);
                    if (s != null) {
                        return s;
                    }
                }
            }
        }
        return null;
    }

    /** The key as kbs-types' TeePubKey holds it: exactly these members, whatever else was sent. */
    private static Map<String, Object> typedTeePubkey(JsonNode jwk) {
        Map<String, Object> key = new LinkedHashMap<>();
        switch (jwk.path("kty").asText()) {
            case "EC" -> {
                key.put("kty", "EC");
                for (String member : List.of("crv", "alg", "x", "y")) {
                    if (!jwk.path(member).isTextual()) {
                        return null;
                    }
                    key.put(member, jwk.get(member).textValue());
                }
            }
            case "RSA" -> {
                key.put("kty", "RSA");
                for (String member : List.of("alg", "n", "e")) {
                    if (!jwk.path(member).isTextual()) {
                        return null;
                    }
                    key.put(member, jwk.get(member).textValue());
                }
            }
            default -> {
                return null;
            }
        }
        return key;
    }

    private String issueToken(Map<String, Object> teePubkey) throws IOException {
        Instant now = Instant.now();
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(url())
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(tokenLifetime)))
                .claim("tee-pubkey", teePubkey)
                .claim("tcb-status", Map.of("sample.svn", "1"))
                .claim("evaluation-report", Map.of("policy", "default"))
                .build();
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(com.nimbusds.jose.JOSEObjectType.JWT).build(), claims);
            jwt.sign(new ECDSASigner(tokenKey));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IOException("signing the token failed", e);
        }
    }

    /** The resource as Trustee's {@code jwe()} sends it: flattened JSON, no aad member. */
    private Map<String, String> encrypt(JsonNode teePubkey, byte[] value) throws JOSEException, java.text.ParseException {
        String alg = teePubkey.path("alg").asText();
        JWEEncrypter encrypter;
        JWEAlgorithm jweAlg;
        if ("EC".equals(teePubkey.path("kty").asText()) && "ECDH-ES+A256KW".equals(alg)) {
            encrypter = new ECDHEncrypter(ECKey.parse(Map.of("kty", "EC", "crv", teePubkey.path("crv").asText(),
                    "x", teePubkey.path("x").asText(), "y", teePubkey.path("y").asText())));
            jweAlg = JWEAlgorithm.ECDH_ES_A256KW;
        } else if ("RSA".equals(teePubkey.path("kty").asText()) && "RSA-OAEP-256".equals(alg)) {
            encrypter = new RSAEncrypter(RSAKey.parse(Map.of("kty", "RSA", "n", teePubkey.path("n").asText(),
                    "e", teePubkey.path("e").asText())));
            jweAlg = JWEAlgorithm.RSA_OAEP_256;
        } else {
            throw new JOSEException("algorithm " + alg + " is not supported");
        }
        JWEObject jwe = new JWEObject(new JWEHeader(jweAlg, EncryptionMethod.A256GCM), new Payload(value));
        jwe.encrypt(encrypter);
        Base64URL[] parts = JWEObject.split(jwe.serialize());
        Map<String, String> response = new LinkedHashMap<>();
        response.put("protected", parts[0].toString());
        response.put("encrypted_key", parts[1].toString());
        response.put("iv", parts[2].toString());
        response.put("ciphertext", parts[3].toString());
        response.put("tag", parts[4].toString());
        return response;
    }

    private String freshNonce() {
        byte[] nonce = new byte[32];
        random.nextBytes(nonce);
        return Base64.getEncoder().encodeToString(nonce);
    }

    private static byte[] digest(String algorithm, byte[] data) {
        try {
            return MessageDigest.getInstance(algorithm).digest(data);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void problem(HttpExchange ex, int status, String type, String detail) throws IOException {
        Map<String, String> body = new LinkedHashMap<>();
        body.put("type", PROBLEM + type);
        body.put("detail", detail);
        send(ex, status, "application/json", json.writeValueAsBytes(body), null);
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body, String setCookie) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        if (setCookie != null) {
            ex.getResponseHeaders().add("Set-Cookie", setCookie);
        }
        ex.sendResponseHeaders(status, body.length);
        ex.getResponseBody().write(body);
    }
}
