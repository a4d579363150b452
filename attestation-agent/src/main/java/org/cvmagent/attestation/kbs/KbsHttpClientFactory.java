package org.cvmagent.attestation.kbs;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Builds the HTTP client for one KBS: TLS trusting only the configured certificate when there is
 * one, plain HTTP only when the configuration allows it, no redirects (a redirect could carry the
 * session cookie or token elsewhere).
 */
public final class KbsHttpClientFactory {
    private final Duration connectTimeout;

    public KbsHttpClientFactory(Duration connectTimeout) {
        this.connectTimeout = connectTimeout;
    }

    public HttpClient create(KbsConfig config) throws KbsException {
        HttpClient.Builder builder = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(connectTimeout);
        switch (config.url().getScheme()) {
            case "https" -> {
                if (config.certificatePem().isPresent()) {
                    builder.sslContext(trusting(config.certificatePem().get()));
                }
            }
            case "http" -> {
                if (!config.plainHttpAllowed()) {
                    throw new KbsException(KbsException.Kind.CONFIGURATION, "the KBS URL " + config.url()
                            + " is plain HTTP, which this configuration does not allow; use https:// with kbs_cert");
                }
            }
            default -> throw new KbsException(KbsException.Kind.CONFIGURATION, "unsupported KBS URL scheme in " + config.url());
        }
        return builder.build();
    }

    /** An SSL context whose only trust anchors are the certificates in {@code pem}. */
    static SSLContext trusting(String pem) throws KbsException {
        try {
            Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
            if (certs.isEmpty()) {
                throw new KbsException(KbsException.Kind.CONFIGURATION, "the KBS certificate PEM holds no certificate");
            }
            KeyStore anchors = KeyStore.getInstance(KeyStore.getDefaultType());
            anchors.load(null, null);
            int i = 0;
            for (Certificate cert : certs) {
                anchors.setCertificateEntry("kbs-" + i++, cert);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(anchors);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new KbsException(KbsException.Kind.CONFIGURATION, "the KBS certificate is unusable: " + e.getMessage(), e);
        }
    }
}
