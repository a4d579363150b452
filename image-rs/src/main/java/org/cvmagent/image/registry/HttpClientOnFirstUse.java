package org.cvmagent.image.registry;

import java.io.IOException;
import java.net.http.HttpClient;
import java.util.function.Supplier;

/**
 * An HTTP client with the registry configuration's network settings (connect timeout, extra CA
 * certificates, HTTPS proxy with no-proxy list), built on first use: building one initializes TLS
 * (JSSE and the JDK's trust store, ~300 classes and ~150 certificates parsed), which the agent's
 * start would otherwise pay before it serves, for a registry or signature store it may never
 * contact (seconds in a TCG guest). A bad CA bundle or proxy still fails at construction.
 */
public final class HttpClientOnFirstUse implements Supplier<HttpClient> {
    private final HttpClient.Builder builder;
    private volatile HttpClient client;

    /** @param redirects how redirects are followed (registries follow them by hand, to drop credentials) */
    public HttpClientOnFirstUse(RegistryConfig config, HttpClient.Redirect redirects) throws IOException {
        HttpClient.Builder b = HttpClient.newBuilder()
                .connectTimeout(config.connectTimeout())
                .followRedirects(redirects);
        if (config.caBundle().isPresent()) {
            b.sslContext(TlsContexts.withExtraCas(config.caBundle().get()));
        }
        if (config.httpsProxy().isPresent()) {
            b.proxy(new NoProxySelector(config.httpsProxy().get(), config.noProxy()));
        }
        this.builder = b;
    }

    @Override
    public HttpClient get() {
        HttpClient c = client;
        if (c == null) {
            synchronized (this) {
                c = client;
                if (c == null) {
                    c = builder.build();
                    client = c;
                }
            }
        }
        return c;
    }
}
