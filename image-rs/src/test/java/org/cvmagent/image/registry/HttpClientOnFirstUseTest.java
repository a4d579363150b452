package org.cvmagent.image.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry's and the lookaside stores' HTTP clients carry the configured proxy, CAs and redirect rule. */
class HttpClientOnFirstUseTest {
    @TempDir
    Path temp;

    @Test
    void theClientIsBuiltOnceWithTheProxyAndRedirectRule() throws Exception {
        RegistryConfig config = RegistryConfig.defaults().withProxy(URI.create("http://proxy.internal:8080"),
                List.of("registry.local"));
        HttpClientOnFirstUse lookaside = new HttpClientOnFirstUse(config, HttpClient.Redirect.NORMAL);
        HttpClient client = lookaside.get();
        assertSame(client, lookaside.get());
        assertEquals(HttpClient.Redirect.NORMAL, client.followRedirects());
        Proxy proxy = client.proxy().orElseThrow().select(URI.create("https://sigs.example.com/a")).getFirst();
        assertEquals(InetSocketAddress.createUnresolved("proxy.internal", 8080), proxy.address());
        assertEquals(Proxy.NO_PROXY, client.proxy().orElseThrow().select(URI.create("https://registry.local/v2/"))
                .getFirst());
        assertEquals(HttpClient.Redirect.NEVER,
                new HttpClientOnFirstUse(config, HttpClient.Redirect.NEVER).get().followRedirects());
    }

    @Test
    void extraCasMakeTheirOwnTlsContextAndABadBundleFailsAtOnce() throws Exception {
        HttpClient client = new HttpClientOnFirstUse(RegistryConfig.defaults().withCaBundle(writeCa()),
                HttpClient.Redirect.NORMAL).get();
        assertNotSame(SSLContext.getDefault(), client.sslContext());
        Path junk = Files.writeString(temp.resolve("junk.pem"), "not a certificate\n");
        assertThrows(IOException.class, () -> new HttpClientOnFirstUse(RegistryConfig.defaults().withCaBundle(junk),
                HttpClient.Redirect.NORMAL));
    }

    private Path writeCa() throws Exception {
        Path key = temp.resolve("key.pem");
        Path cert = temp.resolve("cert.pem");
        org.cvmagent.image.testing.Commands.run(List.of("/usr/bin/openssl", "req", "-x509", "-newkey", "ec",
                "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=test-ca", "-days", "1",
                "-keyout", key.toString(), "-out", cert.toString()));
        return cert;
    }
}
