package org.cvmagent.transport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * TLS material for {@code tcp://} transports, as PEM text: a certificate chain with its PKCS#8
 * private key (RSA or EC), and the CA certificates that peers must chain to. Only TLS 1.3 and 1.2
 * are negotiated.
 *
 * <p>A server needs its chain and key; with {@code needClientAuth} it also needs the CA and rejects
 * clients without a certificate from it (mutual TLS, as kata uses for peer pods). A client always
 * needs the CA — it never talks to an unverified server — and presents its chain and key if given.
 *
 * @param certificateChainPem own certificate first, then intermediates; null for a client without one
 * @param privateKeyPem       PKCS#8 ({@code BEGIN PRIVATE KEY}); null exactly when the chain is null
 * @param trustedCaPem        CA certificates that verify the peer; null only for a server without client auth
 * @param needClientAuth      server side: require and verify a client certificate
 */
public record TlsConfig(String certificateChainPem, String privateKeyPem, String trustedCaPem,
                        boolean needClientAuth) {

    public TlsConfig {
        if ((certificateChainPem == null) != (privateKeyPem == null)) {
            throw new IllegalArgumentException("a TLS certificate chain and its private key must be given together");
        }
        if (needClientAuth && trustedCaPem == null) {
            throw new IllegalArgumentException("requiring client certificates needs CA certificates to verify them");
        }
    }

    /** A mutual-TLS server: presents {@code chain}/{@code key}, requires clients certified by {@code ca}. */
    public static TlsConfig mutualServer(Path chain, Path key, Path ca) throws IOException {
        return new TlsConfig(read(chain), read(key), read(ca), true);
    }

    /** A server that does not ask clients for certificates. */
    public static TlsConfig server(Path chain, Path key) throws IOException {
        return new TlsConfig(read(chain), read(key), null, false);
    }

    /** A client that verifies the server against {@code ca} and presents {@code chain}/{@code key}. */
    public static TlsConfig client(Path ca, Path chain, Path key) throws IOException {
        return new TlsConfig(read(chain), read(key), read(ca), false);
    }

    /** A client without a certificate of its own. */
    public static TlsConfig client(Path ca) throws IOException {
        return new TlsConfig(null, null, read(ca), false);
    }

    boolean hasOwnCertificate() {
        return certificateChainPem != null;
    }

    private static String read(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.US_ASCII);
    }

    /** Never prints the private key. */
    @Override
    public String toString() {
        return "TlsConfig[ownCertificate=" + hasOwnCertificate() + ", trustedCa=" + (trustedCaPem != null)
                + ", needClientAuth=" + needClientAuth + "]";
    }
}
