package org.cvmagent.image.registry;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * How the registry client reaches registries.
 *
 * @param platform the guest's platform, for picking an index entry
 * @param insecureRegistries host[:port] names that are spoken to over plain HTTP; all others
 *                           only over HTTPS
 * @param caBundle PEM certificates trusted in addition to the system CAs
 * @param httpsProxy the proxy for HTTPS requests ({@code agent.https_proxy}), if any
 * @param noProxy hosts reached directly ({@code agent.no_proxy}): exact names, domain
 *                suffixes ({@code .example.com} or {@code example.com}) or {@code *}
 * @param credentials for basic auth and for token requests, looked up when a registry asks
 * @param maxAttempts tries per request on 5xx, 429 and I/O errors (at least 1)
 * @param initialBackoff wait before the second try, doubled for each further one
 * @param connectTimeout TCP+TLS connect timeout
 * @param requestTimeout time until response headers arrive
 * @param credentialsOverPlainHttp whether credentials may go to an insecure (plain HTTP) registry or
 *                                 token realm: never in the agent (a host on the network would read
 *                                 them); only tests against a local plain-HTTP registry set it
 */
public record RegistryConfig(
        Platform platform,
        Set<String> insecureRegistries,
        Optional<Path> caBundle,
        Optional<URI> httpsProxy,
        List<String> noProxy,
        RegistryCredentials credentials,
        int maxAttempts,
        Duration initialBackoff,
        Duration connectTimeout,
        Duration requestTimeout,
        boolean credentialsOverPlainHttp) {

    public RegistryConfig {
        Objects.requireNonNull(platform, "platform");
        insecureRegistries = Set.copyOf(insecureRegistries);
        Objects.requireNonNull(caBundle, "caBundle");
        Objects.requireNonNull(httpsProxy, "httpsProxy");
        noProxy = List.copyOf(noProxy);
        Objects.requireNonNull(credentials, "credentials");
        if (maxAttempts < 1 || maxAttempts > 10) {
            throw new IllegalArgumentException("maxAttempts must be 1..10");
        }
    }

    /** Secure defaults: HTTPS only, system CAs, no proxy, no credentials, 4 tries from 200 ms. */
    public static RegistryConfig defaults() {
        return new RegistryConfig(Platform.LINUX_AMD64, Set.of(), Optional.empty(), Optional.empty(), List.of(),
                AuthFile.empty(), 4, Duration.ofMillis(200), Duration.ofSeconds(10), Duration.ofSeconds(60),
                false);
    }

    public RegistryConfig withPlatform(Platform p) {
        return new RegistryConfig(p, insecureRegistries, caBundle, httpsProxy, noProxy, credentials, maxAttempts,
                initialBackoff, connectTimeout, requestTimeout,
                credentialsOverPlainHttp);
    }

    public RegistryConfig withInsecureRegistries(Set<String> registries) {
        return new RegistryConfig(platform, registries, caBundle, httpsProxy, noProxy, credentials, maxAttempts,
                initialBackoff, connectTimeout, requestTimeout,
                credentialsOverPlainHttp);
    }

    public RegistryConfig withCaBundle(Path pem) {
        return new RegistryConfig(platform, insecureRegistries, Optional.of(pem), httpsProxy, noProxy, credentials,
                maxAttempts, initialBackoff, connectTimeout, requestTimeout,
                credentialsOverPlainHttp);
    }

    public RegistryConfig withProxy(URI proxy, List<String> noProxyHosts) {
        return new RegistryConfig(platform, insecureRegistries, caBundle, Optional.ofNullable(proxy), noProxyHosts,
                credentials, maxAttempts, initialBackoff, connectTimeout, requestTimeout,
                credentialsOverPlainHttp);
    }

    public RegistryConfig withCredentials(RegistryCredentials source) {
        return new RegistryConfig(platform, insecureRegistries, caBundle, httpsProxy, noProxy, source, maxAttempts,
                initialBackoff, connectTimeout, requestTimeout,
                credentialsOverPlainHttp);
    }

    public RegistryConfig withRetries(int attempts, Duration backoff) {
        return new RegistryConfig(platform, insecureRegistries, caBundle, httpsProxy, noProxy, credentials, attempts,
                backoff, connectTimeout, requestTimeout,
                credentialsOverPlainHttp);
    }

    /** For tests against a local plain-HTTP registry that wants credentials; the agent never sets it. */
    public RegistryConfig withCredentialsOverPlainHttp() {
        return new RegistryConfig(platform, insecureRegistries, caBundle, httpsProxy, noProxy, credentials, maxAttempts,
                initialBackoff, connectTimeout, requestTimeout, true);
    }

    public boolean isInsecure(String registryHostPort) {
        return insecureRegistries.contains(registryHostPort);
    }
}
