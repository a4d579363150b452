package org.cvmagent.image.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLException;
import org.cvmagent.image.registry.RegistryException.Reason;

/**
 * An OCI distribution-spec client: manifests (index → the guest's platform) and blobs, every
 * byte checked against its digest; anonymous, bearer-token and basic auth; retries with
 * exponential back-off on 5xx, 429 and I/O errors.
 */
public final class RegistryClient {
    private static final System.Logger LOG = System.getLogger(RegistryClient.class.getName());
    /** Manifests and indexes larger than this are refused (the spec suggests 4 MiB). */
    public static final int MAX_MANIFEST_BYTES = 4 << 20;
    private static final int MAX_REDIRECTS = 5;
    private static final int MAX_ERROR_BODY = 4096;
    private static final int MAX_TOKEN_RESPONSE = 1 << 20;

    private final RegistryConfig config;
    private final HttpClientOnFirstUse http;
    private final TokenCache tokens;
    private final ObjectMapper json = new ObjectMapper();
    /** Basic-auth headers for registries that asked for Basic, keyed by registry. */
    private final ConcurrentHashMap<String, String> basicAuth = new ConcurrentHashMap<>();

    public RegistryClient(RegistryConfig config) throws IOException {
        this(config, Clock.systemUTC());
    }

    RegistryClient(RegistryConfig config, Clock clock) throws IOException {
        this.config = config;
        this.tokens = new TokenCache(clock);
        // redirects are followed by hand so credentials never follow them to another host
        this.http = new HttpClientOnFirstUse(config, HttpClient.Redirect.NEVER);
    }

    public RegistryConfig config() {
        return config;
    }

    /** GETs the manifest or index a reference names; verifies it against the reference's digest. */
    public FetchedManifest fetchManifest(ImageReference ref) throws RegistryException {
        return fetchManifest(ref, ref.manifestReference(), ref.digest(), -1);
    }

    /** Resolves a reference to the guest platform's image manifest (through an index if need be). */
    public ResolvedImage resolve(ImageReference ref) throws RegistryException {
        FetchedManifest top = fetchManifest(ref);
        FetchedManifest image = top;
        if (top.isIndex()) {
            ImageIndex index = parse(top.bytes(), ImageIndex.class, "index");
            Descriptor chosen = selectPlatform(ref, index);
            Digest d = chosen.parsedDigest();
            image = fetchManifest(ref, d.toString(), d, chosen.size());
            if (!MediaTypes.isManifest(image.mediaType())) {
                throw new RegistryException(Reason.UNSUPPORTED_MEDIA_TYPE,
                        "index entry " + d + " is a " + image.mediaType() + ", not an image manifest");
            }
        }
        ImageManifest manifest = parse(image.bytes(), ImageManifest.class, "manifest");
        if (manifest.config() == null || manifest.layers() == null) {
            throw new RegistryException(Reason.INVALID, "manifest " + image.digest() + " lacks config or layers");
        }
        if (!MediaTypes.isConfig(manifest.config().mediaType())) {
            throw new RegistryException(Reason.UNSUPPORTED_MEDIA_TYPE,
                    "config of " + ref + " is " + manifest.config().mediaType() + ", not an image config");
        }
        return new ResolvedImage(ref, top, image, manifest);
    }

    private Descriptor selectPlatform(ImageReference ref, ImageIndex index) throws RegistryException {
        if (index.manifests() != null) {
            for (Descriptor d : index.manifests()) {
                if (d.platform() != null && MediaTypes.isManifest(d.mediaType())
                        && d.platform().runsOn(config.platform())) {
                    return d;
                }
            }
        }
        throw new RegistryException(Reason.NOT_FOUND, "no image for platform " + config.platform() + " in " + ref);
    }

    private FetchedManifest fetchManifest(ImageReference ref, String reference, Digest expected, long expectedSize)
            throws RegistryException {
        String path = "/v2/" + ref.repository() + "/manifests/" + reference;
        HttpResponse<InputStream> r = get(ref, path, MediaTypes.MANIFEST_ACCEPT);
        try (InputStream in = r.body()) {
            byte[] body = readBounded(in, MAX_MANIFEST_BYTES, "manifest of " + ref);
            Digest computed = expected != null
                    ? new Digest(expected.algorithm(), hex(expected.newMessageDigest().digest(body)))
                    : Digest.sha256(body);
            if (expected != null && !expected.equals(computed)) {
                throw new RegistryException(Reason.DIGEST_MISMATCH,
                        "manifest of " + ref + " hashes to " + computed + ", expected " + expected);
            }
            if (expectedSize >= 0 && body.length != expectedSize) {
                throw new RegistryException(Reason.DIGEST_MISMATCH,
                        "manifest " + expected + " has " + body.length + " bytes, index says " + expectedSize);
            }
            Optional<String> served = r.headers().firstValue("Docker-Content-Digest");
            if (served.isPresent() && served.get().startsWith(computed.algorithm() + ":")
                    && !served.get().equals(computed.toString())) {
                throw new RegistryException(Reason.DIGEST_MISMATCH,
                        "manifest of " + ref + " hashes to " + computed + ", registry says " + served.get());
            }
            String mediaType = mediaTypeOf(r, body);
            if (!MediaTypes.isIndex(mediaType) && !MediaTypes.isManifest(mediaType)) {
                throw new RegistryException(Reason.UNSUPPORTED_MEDIA_TYPE,
                        "manifest of " + ref + " has media type " + mediaType);
            }
            return new FetchedManifest(body, mediaType, computed);
        } catch (RegistryException e) {
            throw e;
        } catch (IOException e) {
            throw new RegistryException(Reason.NETWORK, "reading manifest of " + ref + ": " + e.getMessage(), e);
        }
    }

    private String mediaTypeOf(HttpResponse<?> r, byte[] body) throws RegistryException {
        // The manifest's own mediaType field is authoritative when present; the header is what
        // registries that predate the field report.
        String field = parse(body, JsonNode.class, "manifest").path("mediaType").asText("");
        if (!field.isEmpty()) {
            return field;
        }
        String header = r.headers().firstValue("Content-Type").orElse("");
        int semi = header.indexOf(';');
        return (semi < 0 ? header : header.substring(0, semi)).strip().toLowerCase(Locale.ROOT);
    }

    /** A blob read whole into memory (configs), verified against the descriptor. */
    public byte[] fetchBlob(ImageReference ref, Descriptor blob, int maxBytes) throws RegistryException {
        if (blob.size() > maxBytes) {
            throw new RegistryException(Reason.INVALID, "blob " + blob.digest() + " of " + blob.size()
                    + " bytes is over the " + maxBytes + " limit");
        }
        try (VerifyingInputStream in = openBlob(ref, blob)) {
            byte[] data = readBounded(in, maxBytes, "blob " + blob.digest());
            in.drainAndVerify();
            return data;
        } catch (RegistryException e) {
            throw e;
        } catch (IOException e) {
            throw new RegistryException(Reason.NETWORK, "reading blob " + blob.digest() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The OCI 1.1 referrers index of manifest {@code subject} ({@code GET /v2/<name>/referrers/<digest>}),
     * filtered by {@code artifactType}; empty when the registry answers 404, i.e. has no referrers API.
     */
    public Optional<byte[]> fetchReferrers(ImageReference ref, Digest subject, String artifactType)
            throws RegistryException {
        String path = "/v2/" + ref.repository() + "/referrers/" + subject + "?artifactType="
                + java.net.URLEncoder.encode(artifactType, java.nio.charset.StandardCharsets.UTF_8);
        HttpResponse<InputStream> r;
        try {
            r = get(ref, path, MediaTypes.OCI_INDEX);
        } catch (RegistryException e) {
            if (e.reason() == Reason.NOT_FOUND) {
                return Optional.empty();
            }
            throw e;
        }
        try (InputStream in = r.body()) {
            return Optional.of(readBounded(in, MAX_MANIFEST_BYTES, "referrers of " + ref));
        } catch (RegistryException e) {
            throw e;
        } catch (IOException e) {
            throw new RegistryException(Reason.NETWORK, "reading referrers of " + ref + ": " + e.getMessage(), e);
        }
    }

    /**
     * A blob whose size is not known in advance (signature payloads named by digest alone), read up
     * to {@code maxBytes} and verified against its digest.
     */
    public byte[] fetchBlobByDigest(ImageReference ref, Digest digest, int maxBytes) throws RegistryException {
        if (!digest.algorithm().equals("sha256")) {
            throw new RegistryException(Reason.INVALID, "blob " + digest + ": only sha256 digests are verified");
        }
        HttpResponse<InputStream> r = get(ref, "/v2/" + ref.repository() + "/blobs/" + digest, "*/*");
        try (InputStream in = r.body()) {
            byte[] data = readBounded(in, maxBytes, "blob " + digest);
            if (!Digest.sha256(data).equals(digest)) {
                throw new RegistryException(Reason.DIGEST_MISMATCH, "blob " + digest + " does not match its digest");
            }
            return data;
        } catch (RegistryException e) {
            throw e;
        } catch (IOException e) {
            throw new RegistryException(Reason.NETWORK, "reading blob " + digest + ": " + e.getMessage(), e);
        }
    }

    /**
     * Opens a blob for streaming; the stream fails with DIGEST_MISMATCH at its end (or as soon
     * as it runs past the declared size) unless the bytes are exactly the descriptor's.
     */
    public VerifyingInputStream openBlob(ImageReference ref, Descriptor blob) throws RegistryException {
        Digest digest = blob.parsedDigest();
        if (blob.size() < 0) {
            // The size bounds the download; a descriptor without one is not accepted.
            throw new RegistryException(Reason.INVALID, "descriptor of " + digest + " has a negative size");
        }
        HttpResponse<InputStream> r = get(ref, "/v2/" + ref.repository() + "/blobs/" + digest, "*/*");
        return new VerifyingInputStream(r.body(), digest, blob.size());
    }

    private <T> T parse(byte[] body, Class<T> type, String what) throws RegistryException {
        try {
            return json.readValue(body, type);
        } catch (IOException e) {
            throw new RegistryException(Reason.INVALID, what + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    private static byte[] readBounded(InputStream in, int max, String what) throws IOException {
        byte[] data = in.readNBytes(max + 1);
        if (data.length > max) {
            throw new RegistryException(Reason.INVALID, what + " is larger than " + max + " bytes");
        }
        return data;
    }

    private static String hex(byte[] b) {
        return java.util.HexFormat.of().formatHex(b);
    }

    /** GETs {@code path} with auth, redirects and retries; returns a 2xx response whose body the caller closes. */
    private HttpResponse<InputStream> get(ImageReference ref, String path, String accept) throws RegistryException {
        String host = ref.apiHost();
        String scheme = config.isInsecure(ref.registry()) || config.isInsecure(host) ? "http" : "https";
        URI uri = URI.create(scheme + "://" + host + path);
        String scope = "repository:" + ref.repository() + ":pull";
        String tokenKey = host + " " + scope;
        boolean authenticatedOnce = false;
        RegistryException last = null;
        for (int attempt = 1; attempt <= config.maxAttempts(); attempt++) {
            if (attempt > 1) {
                backOff(attempt, last);
            }
            HttpResponse<InputStream> r;
            try {
                r = sendFollowingRedirects(uri, accept, authorization(host, tokenKey));
            } catch (SSLException e) {
                // A TLS failure (unknown CA, plain-HTTP peer) will not heal with retries.
                throw new RegistryException(Reason.NETWORK, "TLS to " + host + " failed: " + e.getMessage(), e);
            } catch (HttpTimeoutException | ConnectException e) {
                last = new RegistryException(Reason.NETWORK, "cannot reach " + host + ": " + e, e);
                continue;
            } catch (IOException e) {
                last = new RegistryException(Reason.NETWORK, "request to " + host + " failed: " + e, e);
                continue;
            }
            int status = r.statusCode();
            if (status / 100 == 2) {
                return r;
            }
            String detail = errorDetail(r);
            if (status == 401) {
                if (authenticatedOnce) {
                    tokens.remove(tokenKey);
                    throw new RegistryException(Reason.AUTH, "registry " + host + " refused credentials: " + detail);
                }
                authenticate(ref, host, tokenKey, r.headers().firstValue("WWW-Authenticate").orElse(null));
                authenticatedOnce = true;
                attempt--; // the authenticated request is the same try, not a retry
                continue;
            }
            if (status == 403) {
                throw new RegistryException(Reason.AUTH, "access to " + ref + " denied: " + detail);
            }
            if (status == 404) {
                throw new RegistryException(Reason.NOT_FOUND, ref + " (" + path + "): " + detail);
            }
            if (status >= 500 || status == 429 || status == 408) {
                last = new RegistryException(Reason.NETWORK, "registry " + host + " answered " + status + ": " + detail);
                continue;
            }
            throw new RegistryException(Reason.INVALID, "registry " + host + " answered " + status + ": " + detail);
        }
        throw last;
    }

    private void backOff(int attempt, RegistryException cause) throws RegistryException {
        Duration wait = config.initialBackoff().multipliedBy(1L << Math.min(attempt - 2, 10));
        try {
            Thread.sleep(wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException(Reason.NETWORK, "interrupted while retrying", cause);
        }
    }

    private String authorization(String host, String tokenKey) {
        Optional<String> token = tokens.get(tokenKey);
        if (token.isPresent()) {
            return "Bearer " + token.get();
        }
        return basicAuth.get(host);
    }

    private void authenticate(ImageReference ref, String host, String tokenKey, String header)
            throws RegistryException {
        BearerChallenge challenge = BearerChallenge.parse(header).orElseThrow(() ->
                new RegistryException(Reason.AUTH, "registry " + host + " answered 401 without a challenge"));
        Optional<Credentials> credentials = config.credentials().lookup(ref);
        if (challenge.isBasic()) {
            Credentials c = credentials.orElseThrow(() ->
                    new RegistryException(Reason.AUTH, "registry " + host + " wants basic auth and no credentials are configured"));
            if (plainHttp(ref, host) && !config.credentialsOverPlainHttp()) {
                throw new RegistryException(Reason.AUTH, "registry " + host + " wants basic auth over plain HTTP:"
                        + " its credentials are never sent in clear");
            }
            basicAuth.put(host, c.basicHeader());
            return;
        }
        if (!challenge.isBearer()) {
            throw new RegistryException(Reason.AUTH, "unsupported auth scheme " + challenge.scheme() + " at " + host);
        }
        fetchToken(ref, host, tokenKey, challenge, credentials);
    }

    private void fetchToken(ImageReference ref, String host, String tokenKey, BearerChallenge challenge,
                            Optional<Credentials> configured) throws RegistryException {
        Optional<Credentials> credentials = configured;
        String realm = challenge.param("realm").orElseThrow(() ->
                new RegistryException(Reason.AUTH, "bearer challenge from " + host + " has no realm"));
        URI realmUri;
        try {
            realmUri = URI.create(realm);
        } catch (IllegalArgumentException e) {
            throw new RegistryException(Reason.AUTH, "bearer realm " + realm + " is not a URI", e);
        }
        // The realm must be HTTPS, unless the registry itself is plain HTTP by configuration; and
        // credentials never go over plain HTTP: there the token is asked for anonymously.
        boolean realmHttpOk = plainHttp(ref, host);
        if (!"https".equals(realmUri.getScheme()) && !("http".equals(realmUri.getScheme()) && realmHttpOk)) {
            throw new RegistryException(Reason.AUTH, "bearer realm " + realm + " is not HTTPS");
        }
        if (credentials.isPresent() && "http".equals(realmUri.getScheme()) && !config.credentialsOverPlainHttp()) {
            LOG.log(System.Logger.Level.WARNING, "token realm " + realmUri.getHost() + " of " + host
                    + " is plain HTTP: asking for an anonymous token, the credentials are never sent in clear");
            credentials = Optional.empty();
        }
        String scope = challenge.param("scope").orElse("repository:" + ref.repository() + ":pull");
        StringBuilder query = new StringBuilder();
        challenge.param("service").ifPresent(s -> query.append("service=").append(enc(s)).append('&'));
        query.append("scope=").append(enc(scope));
        URI tokenUri = URI.create(realm + (realm.contains("?") ? "&" : "?") + query);
        HttpRequest.Builder req = HttpRequest.newBuilder(tokenUri).timeout(config.requestTimeout()).GET();
        credentials.ifPresent(c -> req.header("Authorization", c.basicHeader()));
        HttpResponse<InputStream> r;
        byte[] tokenBody;
        try {
            r = http.get().send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = r.body()) {
                tokenBody = readBounded(in, MAX_TOKEN_RESPONSE, "token response");
            }
        } catch (RegistryException e) {
            throw e;
        } catch (IOException e) {
            throw new RegistryException(Reason.NETWORK, "token request to " + realmUri.getHost() + " failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException(Reason.NETWORK, "interrupted during token request", e);
        }
        if (r.statusCode() != 200) {
            throw new RegistryException(Reason.AUTH, "token server " + realmUri.getHost() + " answered " + r.statusCode());
        }
        JsonNode body = parse(tokenBody, JsonNode.class, "token response");
        String token = body.path("token").asText(body.path("access_token").asText(""));
        if (token.isEmpty()) {
            throw new RegistryException(Reason.AUTH, "token server " + realmUri.getHost() + " returned no token");
        }
        // The distribution token spec: expires_in defaults to 60 seconds.
        tokens.put(tokenKey, token, body.path("expires_in").asLong(60));
    }

    private boolean plainHttp(ImageReference ref, String host) {
        return config.isInsecure(ref.registry()) || config.isInsecure(host);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private HttpResponse<InputStream> sendFollowingRedirects(URI uri, String accept, String authorization)
            throws IOException {
        URI current = uri;
        String auth = authorization;
        for (int hop = 0; ; hop++) {
            HttpRequest.Builder b = HttpRequest.newBuilder(current).timeout(config.requestTimeout())
                    .header("Accept", accept).GET();
            if (auth != null) {
                b.header("Authorization", auth);
            }
            HttpResponse<InputStream> r;
            try {
                r = http.get().send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            int s = r.statusCode();
            if (s != 301 && s != 302 && s != 303 && s != 307 && s != 308) {
                return r;
            }
            r.body().close();
            if (hop >= MAX_REDIRECTS) {
                throw new RegistryException(Reason.NETWORK, "too many redirects from " + uri.getHost());
            }
            String location = r.headers().firstValue("Location").orElseThrow(() ->
                    new RegistryException(Reason.NETWORK, "redirect without Location from " + uri.getHost()));
            URI next = current.resolve(location);
            if ("https".equals(current.getScheme()) && !"https".equals(next.getScheme())) {
                throw new RegistryException(Reason.NETWORK, "refusing redirect from HTTPS to " + next.getScheme());
            }
            if (!next.getHost().equalsIgnoreCase(current.getHost()) || next.getPort() != current.getPort()) {
                // Blob storage behind a redirect authenticates with the signed URL, not our token.
                auth = null;
            }
            current = next;
        }
    }

    private String errorDetail(HttpResponse<InputStream> r) {
        try (InputStream in = r.body()) {
            byte[] body = in.readNBytes(MAX_ERROR_BODY);
            JsonNode errors = json.readTree(body).path("errors");
            if (errors.isArray() && !errors.isEmpty()) {
                JsonNode e = errors.get(0);
                return e.path("code").asText("") + " " + e.path("message").asText("");
            }
            return "HTTP " + r.statusCode();
        } catch (IOException e) {
            // The status already says what failed; an unreadable error body adds nothing.
            return "HTTP " + r.statusCode();
        }
    }
}
