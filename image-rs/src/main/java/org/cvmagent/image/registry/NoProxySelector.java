package org.cvmagent.image.registry;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Locale;

/**
 * Sends HTTPS requests through {@code https_proxy} except to hosts listed in {@code no_proxy};
 * plain HTTP (insecure registries) always goes direct, as there is no {@code http_proxy} setting.
 */
final class NoProxySelector extends ProxySelector {
    private final Proxy proxy;
    private final List<String> noProxy;

    NoProxySelector(URI httpsProxy, List<String> noProxy) {
        if (httpsProxy.getHost() == null) {
            throw new IllegalArgumentException("https_proxy has no host: " + httpsProxy);
        }
        int port = httpsProxy.getPort() > 0 ? httpsProxy.getPort() : 3128;
        this.proxy = new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved(httpsProxy.getHost(), port));
        this.noProxy = noProxy.stream().map(String::strip).filter(s -> !s.isEmpty())
                .map(s -> s.toLowerCase(Locale.ROOT)).toList();
    }

    @Override
    public List<Proxy> select(URI uri) {
        if (!"https".equalsIgnoreCase(uri.getScheme()) || bypasses(uri.getHost())) {
            return List.of(Proxy.NO_PROXY);
        }
        return List.of(proxy);
    }

    boolean bypasses(String host) {
        if (host == null) {
            return true;
        }
        String h = host.toLowerCase(Locale.ROOT);
        for (String entry : noProxy) {
            String e = entry.replaceFirst(":\\d+$", "");
            if (e.equals("*") || h.equals(e)) {
                return true;
            }
            String suffix = e.startsWith(".") ? e : "." + e;
            if (h.endsWith(suffix)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {
        // Nothing to fall back to: the request fails with the connect error and is retried.
    }
}
