package org.cvmagent.transport;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/** Builds JSSE contexts and parameters from a {@link TlsConfig}. */
final class TlsContexts {

    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    /** Protects nothing: the key store lives only in memory, but the API wants a password. */
    private static final char[] IN_MEMORY_PASSWORD = "in-memory".toCharArray();

    private TlsContexts() {
    }

    static SSLContext server(TlsConfig config) throws IOException {
        if (!config.hasOwnCertificate()) {
            throw new IllegalArgumentException("a TLS server needs a certificate chain and private key");
        }
        return context(config);
    }

    static SSLContext client(TlsConfig config) throws IOException {
        if (config.trustedCaPem() == null) {
            throw new IllegalArgumentException("a TLS client needs CA certificates to verify the server");
        }
        return context(config);
    }

    /** TLS 1.3 and 1.2 only, and for a client, the server's certificate must match the host dialed. */
    static SSLParameters parameters(SSLContext context, boolean client) {
        SSLParameters parameters = context.getDefaultSSLParameters();
        parameters.setProtocols(PROTOCOLS.clone());
        if (client) {
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
        }
        return parameters;
    }

    private static SSLContext context(TlsConfig config) throws IOException {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManagers(config), trustManagers(config), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot set up TLS: " + e.getMessage(), e);
        }
    }

    private static KeyManager[] keyManagers(TlsConfig config) throws GeneralSecurityException, IOException {
        if (!config.hasOwnCertificate()) {
            return null;
        }
        List<X509Certificate> chain = PemMaterial.certificates(config.certificateChainPem(), "TLS certificate chain");
        PrivateKey key = PemMaterial.privateKey(config.privateKeyPem());
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("own", key, IN_MEMORY_PASSWORD, chain.toArray(new X509Certificate[0]));
        KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        factory.init(store, IN_MEMORY_PASSWORD);
        return factory.getKeyManagers();
    }

    private static TrustManager[] trustManagers(TlsConfig config) throws GeneralSecurityException, IOException {
        if (config.trustedCaPem() == null) {
            // A server without client authentication verifies nobody; an empty store makes sure the
            // JDK's default CAs are not silently trusted either.
            return trustManagersFor(List.of());
        }
        return trustManagersFor(PemMaterial.certificates(config.trustedCaPem(), "TLS CA certificates"));
    }

    private static TrustManager[] trustManagersFor(List<X509Certificate> authorities)
            throws GeneralSecurityException, IOException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        for (int i = 0; i < authorities.size(); i++) {
            store.setCertificateEntry("ca-" + i, authorities.get(i));
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
        factory.init(store);
        return factory.getTrustManagers();
    }
}
