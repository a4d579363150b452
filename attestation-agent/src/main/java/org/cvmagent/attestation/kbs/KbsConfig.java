package org.cvmagent.attestation.kbs;

import java.net.URI;
import java.util.Objects;
import java.util.Optional;

/**
 * Where the KBS is and how to trust it.
 *
 * @param url the KBS base URL, {@code https://host[:port]} (or {@code http://} where allowed)
 * @param certificatePem the PEM certificate(s) to trust for the KBS's TLS; when absent an https
 *     KBS is checked against the JDK's default trust store
 * @param teeKeyAlgorithm the kind of TEE key to generate per attestation
 * @param plainHttpAllowed whether an {@code http://} URL may be used: it exposes the session
 *     cookie and token to the network, so it must be asked for explicitly
 */
public record KbsConfig(URI url, Optional<String> certificatePem, TeeKeyAlgorithm teeKeyAlgorithm, boolean plainHttpAllowed) {

    public KbsConfig {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(certificatePem, "certificatePem");
        Objects.requireNonNull(teeKeyAlgorithm, "teeKeyAlgorithm");
        String scheme = url.getScheme();
        if (!"https".equals(scheme) && !"http".equals(scheme)) {
            throw new IllegalArgumentException("KBS URL " + url + " must be https:// (or http:// where allowed)");
        }
        if (url.getHost() == null || url.getHost().isEmpty()) {
            throw new IllegalArgumentException("KBS URL " + url + " has no host");
        }
        if (url.getRawQuery() != null || url.getRawFragment() != null || url.getRawUserInfo() != null) {
            throw new IllegalArgumentException("KBS URL " + url + " must not carry user info, a query or a fragment");
        }
        certificatePem = certificatePem.filter(pem -> !pem.isBlank());
    }

    /** The base URL without a trailing slash, to which {@code /kbs/v0/...} is appended. */
    public String baseUrl() {
        String s = url.toString();
        while (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        return s;
    }

    /** {@code host[:port]}, as a {@code kbs://} resource URI names a KBS. */
    public String authority() {
        return url.getPort() < 0 ? url.getHost() : url.getHost() + ":" + url.getPort();
    }
}
