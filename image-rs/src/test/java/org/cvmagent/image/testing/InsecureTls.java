package org.cvmagent.image.testing;

import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/** Only for the fixture's readiness probe of an HTTPS registry it started itself. */
final class InsecureTls {
    private InsecureTls() {
    }

    static SSLContext trustAll() throws Exception {
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
                // the probe is a client only
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
                // the probe only waits for the port; the tests verify the certificate properly
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        return c;
    }
}
