package org.cvmagent.attestation.cdh;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Optional;
import org.cvmagent.attestation.kbs.ResourcePath;

/**
 * A CoCo resource URI, {@code kbs://[<kbs-host[:port]>]/<repository>/<type>/<tag>}, as described by
 * guest-components' RESOURCE_URI.md. An empty authority ({@code kbs:///...}) means the configured
 * KBS. Plugin schemes ({@code kbs+<plugin>://}) and queries are not supported yet and are refused
 * with a message saying so.
 *
 * @param kbsAuthority the {@code host[:port]} named in the URI, empty for the configured KBS
 */
public record ResourceUri(Optional<String> kbsAuthority, ResourcePath path) {
    private static final String SHAPE = "expected kbs://[<kbs-host>]/<repository>/<type>/<tag>";

    public static ResourceUri parse(String uri) throws InvalidResourceUriException {
        if (uri == null || uri.isBlank()) {
            throw new InvalidResourceUriException("empty resource URI; " + SHAPE);
        }
        URI parsed;
        try {
            parsed = new URI(uri);
        } catch (URISyntaxException e) {
            throw new InvalidResourceUriException("resource URI '" + uri + "' is malformed (" + e.getReason() + "); " + SHAPE);
        }
        String scheme = parsed.getScheme();
        if (scheme != null && scheme.startsWith("kbs+")) {
            throw new InvalidResourceUriException("resource URI '" + uri + "': KBS plugin scheme '" + scheme + "' is not supported; " + SHAPE);
        }
        if (!"kbs".equals(scheme)) {
            throw new InvalidResourceUriException("resource URI '" + uri + "' must use the kbs scheme; " + SHAPE);
        }
        if (parsed.getRawQuery() != null || parsed.getRawFragment() != null) {
            throw new InvalidResourceUriException("resource URI '" + uri + "' must not have a query or fragment; " + SHAPE);
        }
        if (parsed.getRawUserInfo() != null) {
            throw new InvalidResourceUriException("resource URI '" + uri + "' must not carry user info; " + SHAPE);
        }
        String rawPath = parsed.getRawPath();
        if (rawPath == null || !rawPath.startsWith("/")) {
            throw new InvalidResourceUriException("resource URI '" + uri + "' has no path; " + SHAPE);
        }
        // split with limit -1 keeps empty segments, so "a//b" or a trailing "/" is refused.
        String[] segments = rawPath.substring(1).split("/", -1);
        if (segments.length != 3) {
            throw new InvalidResourceUriException("resource URI '" + uri + "' has " + segments.length
                    + " path segments, not 3; " + SHAPE);
        }
        ResourcePath path;
        try {
            path = new ResourcePath(segments[0], segments[1], segments[2]);
        } catch (IllegalArgumentException e) {
            throw new InvalidResourceUriException("resource URI '" + uri + "': " + e.getMessage());
        }
        String host = parsed.getHost();
        if (parsed.getRawAuthority() != null && (host == null || host.isEmpty())) {
            throw new InvalidResourceUriException("resource URI '" + uri + "' has an authority that is not host[:port]; " + SHAPE);
        }
        Optional<String> authority = Optional.ofNullable(host).filter(h -> !h.isEmpty())
                .map(h -> parsed.getPort() < 0 ? h : h + ":" + parsed.getPort());
        return new ResourceUri(authority, path);
    }

    @Override
    public String toString() {
        return "kbs://" + kbsAuthority.orElse("") + "/" + path.path();
    }
}
