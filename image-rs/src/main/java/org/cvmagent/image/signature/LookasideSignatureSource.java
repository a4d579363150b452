package org.cvmagent.image.signature;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.util.function.Supplier;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.cvmagent.image.signature.SignatureVerificationException.Reason;

/**
 * Reads simple-signing signatures from the lookaside store registries.d configures for the image:
 * {@code <lookaside>/<repository path>@<algorithm>=<hex>/signature-<n>} for n = 1, 2, … until the
 * first that does not exist (404 over HTTP, no such file for file://).
 */
public final class LookasideSignatureSource implements SignatureSource {

    /** Same bounds as containers/image: enough for any real image, small enough to stop abuse. */
    static final int MAX_SIGNATURES = 128;
    static final int MAX_SIGNATURE_BYTES = 4 * 1024 * 1024;

    private final RegistriesConfig config;
    private final Supplier<HttpClient> http;
    private final Duration requestTimeout;

    public LookasideSignatureSource(RegistriesConfig config, Supplier<HttpClient> http, Duration requestTimeout) {
        this.config = Objects.requireNonNull(config);
        this.http = Objects.requireNonNull(http);
        this.requestTimeout = Objects.requireNonNull(requestTimeout);
    }

    @Override
    public List<byte[]> simpleSignatures(DockerReference ref, String manifestDigest)
            throws SignatureVerificationException {
        Optional<URI> base = config.lookasideFor(ref);
        if (base.isEmpty()) {
            return List.of();
        }
        if (!ManifestDigest.isValid(manifestDigest)) {
            throw new SignatureVerificationException(Reason.INVALID_SIGNATURE, "invalid manifest digest " + manifestDigest);
        }
        List<byte[]> out = new ArrayList<>();
        for (int n = 1; n <= MAX_SIGNATURES; n++) {
            URI uri = signatureUri(base.get(), ref, manifestDigest, n);
            Optional<byte[]> sig = base.get().getScheme().equals("file") ? readFile(uri) : readHttp(uri);
            if (sig.isEmpty()) {
                return out;
            }
            out.add(sig.get());
        }
        throw new SignatureVerificationException(Reason.RESOURCE_UNAVAILABLE,
                "more than " + MAX_SIGNATURES + " signatures in the lookaside store for " + ref.name());
    }

    static URI signatureUri(URI base, DockerReference ref, String manifestDigest, int n) {
        String basePath = base.getRawPath() == null ? "" : base.getRawPath();
        if (basePath.endsWith("/")) {
            basePath = basePath.substring(0, basePath.length() - 1);
        }
        // The repository path and digest use only [a-z0-9._/-] and '@', '=', so need no escaping.
        String path = basePath + "/" + ref.path() + "@" + manifestDigest.replace(':', '=') + "/signature-" + n;
        return URI.create(base.getScheme() + "://" + Objects.toString(base.getRawAuthority(), "") + path);
    }

    /** The URI without user-info, so credentials in a configured URL never reach an error message or log. */
    static String redact(URI uri) {
        if (uri.getRawUserInfo() == null) {
            return uri.toString();
        }
        return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort()) + uri.getRawPath();
    }

    private static Optional<byte[]> readFile(URI uri) throws SignatureVerificationException {
        Path path = Path.of(uri);
        try {
            if (Files.size(path) > MAX_SIGNATURE_BYTES) {
                throw new SignatureVerificationException(Reason.INVALID_SIGNATURE, redact(uri) + " is too large for a signature");
            }
            return Optional.of(Files.readAllBytes(path));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new SignatureVerificationException(Reason.RESOURCE_UNAVAILABLE,
                    "cannot read signature " + redact(uri) + ": " + e.getMessage(), e);
        }
    }

    private Optional<byte[]> readHttp(URI uri) throws SignatureVerificationException {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(requestTimeout).GET().build();
        try {
            HttpResponse<InputStream> response = http.get().send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream body = response.body()) {
                if (response.statusCode() == 404) {
                    return Optional.empty();
                }
                if (response.statusCode() != 200) {
                    throw new SignatureVerificationException(Reason.RESOURCE_UNAVAILABLE,
                            "fetching signature " + redact(uri) + " returned HTTP " + response.statusCode());
                }
                byte[] data = body.readNBytes(MAX_SIGNATURE_BYTES + 1);
                if (data.length > MAX_SIGNATURE_BYTES) {
                    throw new SignatureVerificationException(Reason.INVALID_SIGNATURE, redact(uri) + " is too large for a signature");
                }
                return Optional.of(data);
            }
        } catch (IOException e) {
            throw new SignatureVerificationException(Reason.RESOURCE_UNAVAILABLE,
                    "cannot fetch signature " + redact(uri) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SignatureVerificationException(Reason.RESOURCE_UNAVAILABLE, "interrupted fetching " + redact(uri), e);
        }
    }
}
