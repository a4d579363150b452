package org.cvmagent.image.registry;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A docker image reference: {@code [registry[:port]/]repository[:tag][@digest]}, normalized as
 * docker does (no registry means docker.io, a one-component docker.io repository gets
 * {@code library/}, no tag and no digest means {@code latest}).
 *
 * @param registry the registry as written (docker.io for Docker Hub)
 * @param repository the repository path
 * @param tag the tag, or null when only a digest was given
 * @param digest the digest, or null
 */
public record ImageReference(String registry, String repository, String tag, Digest digest) {
    public static final String DOCKER_HUB = "docker.io";
    private static final String DOCKER_HUB_API = "registry-1.docker.io";
    private static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    private static final Pattern HOST = Pattern.compile(
            "(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
                    + "|\\[[0-9A-Fa-f:.]+\\]");

    public ImageReference {
        if (tag == null && digest == null) {
            throw new IllegalArgumentException("a reference needs a tag or a digest");
        }
    }

    public static ImageReference parse(String text) {
        if (text == null || text.isEmpty() || text.length() > 4096) {
            throw new IllegalArgumentException("invalid image reference: empty or too long");
        }
        String rest = text;
        Digest digest = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            digest = parseDigest(text, rest.substring(at + 1));
            rest = rest.substring(0, at);
        }
        String registry = DOCKER_HUB;
        int slash = rest.indexOf('/');
        if (slash > 0) {
            String first = rest.substring(0, slash);
            if (first.contains(".") || first.contains(":") || first.equals("localhost")) {
                registry = first;
                rest = rest.substring(slash + 1);
                validateRegistry(text, registry);
            }
        }
        String tag = null;
        int lastSlash = rest.lastIndexOf('/');
        int colon = rest.lastIndexOf(':');
        if (colon > lastSlash) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
            if (!TAG.matcher(tag).matches()) {
                throw new IllegalArgumentException("invalid tag in image reference " + text);
            }
        }
        if (registry.equals("index.docker.io")) {
            registry = DOCKER_HUB;
        }
        if (registry.equals(DOCKER_HUB) && !rest.contains("/")) {
            rest = "library/" + rest;
        }
        for (String component : rest.split("/", -1)) {
            if (!COMPONENT.matcher(component).matches()) {
                throw new IllegalArgumentException("invalid repository in image reference " + text);
            }
        }
        if (rest.length() > 255) {
            throw new IllegalArgumentException("repository name too long in " + text);
        }
        if (tag == null && digest == null) {
            tag = "latest";
        }
        return new ImageReference(registry, rest, tag, digest);
    }

    private static Digest parseDigest(String text, String value) {
        try {
            return Digest.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid digest in image reference " + text, e);
        }
    }

    private static void validateRegistry(String text, String registry) {
        String host = registry;
        int portColon = registry.lastIndexOf(':');
        if (portColon > registry.lastIndexOf(']')) {
            String port = registry.substring(portColon + 1);
            if (!port.matches("[0-9]{1,5}") || Integer.parseInt(port) > 65535) {
                throw new IllegalArgumentException("invalid registry port in image reference " + text);
            }
            host = registry.substring(0, portColon);
        }
        if (!HOST.matcher(host).matches()) {
            throw new IllegalArgumentException("invalid registry host in image reference " + text);
        }
    }

    /** The host[:port] the distribution API is served on (Docker Hub's API host differs from its name). */
    public String apiHost() {
        return registry.equals(DOCKER_HUB) ? DOCKER_HUB_API : registry;
    }

    /** The digest when given, else the tag: what {@code /v2/<name>/manifests/<reference>} takes. */
    public String manifestReference() {
        return digest != null ? digest.toString() : tag;
    }

    public Optional<Digest> optionalDigest() {
        return Optional.ofNullable(digest);
    }

    /** The same repository pinned to {@code newDigest} (keeping the tag for display and identity). */
    public ImageReference withDigest(Digest newDigest) {
        return new ImageReference(registry, repository, tag, newDigest);
    }

    /** {@code registry/repository}, the name policy scopes and auth files key on. */
    public String name() {
        return registry + "/" + repository;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(name());
        if (tag != null) {
            b.append(':').append(tag);
        }
        if (digest != null) {
            b.append('@').append(digest);
        }
        return b.toString();
    }
}
