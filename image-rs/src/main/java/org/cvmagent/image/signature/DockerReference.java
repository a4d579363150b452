package org.cvmagent.image.signature;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A docker image reference, normalised the way the docker CLI and containers/image do
 * ({@code busybox} is {@code docker.io/library/busybox}). Identity matching compares normalised
 * forms, so two spellings of one image are equal and a look-alike never is.
 */
public final class DockerReference {

    private static final String DEFAULT_DOMAIN = "docker.io";
    private static final String LEGACY_DEFAULT_DOMAIN = "index.docker.io";
    private static final int MAX_NAME_LENGTH = 255;

    private static final String PATH_COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
    private static final Pattern PATH = Pattern.compile(PATH_COMPONENT + "(?:/" + PATH_COMPONENT + ")*");
    private static final String DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    private static final Pattern DOMAIN = Pattern.compile(
            "(?:" + DOMAIN_COMPONENT + "(?:\\." + DOMAIN_COMPONENT + ")*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?");
    private static final Pattern HOST_WILDCARD =
            Pattern.compile(DOMAIN_COMPONENT + "(?:\\." + DOMAIN_COMPONENT + ")*");
    private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
    private static final Pattern DIGEST =
            Pattern.compile("[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}");

    private final String domain;
    private final String path;
    private final String tag;
    private final String digest;

    private DockerReference(String domain, String path, String tag, String digest) {
        this.domain = domain;
        this.path = path;
        this.tag = tag;
        this.digest = digest;
    }

    /**
     * Parses a reference as a user would type it, adding {@code docker.io} and {@code library/}
     * where the docker CLI would. A tag and a digest are both optional.
     */
    public static DockerReference parse(String text) {
        Objects.requireNonNull(text, "reference");
        String rest = text;
        String digest = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            digest = rest.substring(at + 1);
            rest = rest.substring(0, at);
            if (!DIGEST.matcher(digest).matches()) {
                throw new IllegalArgumentException("invalid digest in reference \"" + text + "\"");
            }
        }
        String tag = null;
        int colon = rest.lastIndexOf(':');
        if (colon > rest.lastIndexOf('/')) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
            if (!TAG.matcher(tag).matches()) {
                throw new IllegalArgumentException("invalid tag in reference \"" + text + "\"");
            }
        }
        String domain;
        String path;
        int slash = rest.indexOf('/');
        String first = slash < 0 ? rest : rest.substring(0, slash);
        boolean firstIsDomain = slash >= 0
                && (first.contains(".") || first.contains(":") || first.equals("localhost")
                        || !first.equals(first.toLowerCase(java.util.Locale.ROOT)));
        if (firstIsDomain) {
            domain = first;
            path = rest.substring(slash + 1);
        } else {
            domain = DEFAULT_DOMAIN;
            path = rest;
        }
        if (domain.equals(LEGACY_DEFAULT_DOMAIN)) {
            domain = DEFAULT_DOMAIN;
        }
        if (domain.equals(DEFAULT_DOMAIN) && !path.contains("/")) {
            path = "library/" + path;
        }
        if (!DOMAIN.matcher(domain).matches()) {
            throw new IllegalArgumentException("invalid registry host in reference \"" + text + "\"");
        }
        if (!PATH.matcher(path).matches()) {
            throw new IllegalArgumentException("invalid repository name in reference \"" + text + "\"");
        }
        if (domain.length() + 1 + path.length() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("repository name longer than " + MAX_NAME_LENGTH + " characters");
        }
        return new DockerReference(domain, path, tag, digest);
    }

    /**
     * Parses a reference that must already be written in full ({@code docker.io/library/busybox},
     * not {@code busybox}), as policy scopes and identities must be: an abbreviation there is
     * ambiguous about which registry the administrator meant.
     */
    public static DockerReference parseFullyQualified(String text) {
        DockerReference ref = parse(text);
        if (!ref.toString().equals(text)) {
            throw new IllegalArgumentException(
                    "\"" + text + "\" is not fully qualified (it means \"" + ref + "\")");
        }
        return ref;
    }

    /**
     * Whether {@code scope} can name images in a policy or registries.d file: a registry host
     * (with port), a namespace or repository below one, a full reference, or {@code *.domain}.
     * The host must be explicit, since an abbreviated {@code busybox} scope would be ambiguous.
     */
    public static boolean isValidScope(String scope) {
        if (scope.startsWith("*.")) {
            return HOST_WILDCARD.matcher(scope.substring(2)).matches();
        }
        int slash = scope.indexOf('/');
        String host = slash < 0 ? scope : scope.substring(0, slash);
        if (!DOMAIN.matcher(host).matches()
                || !(host.contains(".") || host.contains(":") || host.equals("localhost"))) {
            return false;
        }
        if (slash < 0) {
            return true;
        }
        if (PATH.matcher(scope.substring(slash + 1)).matches()) {
            return true;
        }
        try {
            return parse(scope).toString().equals(scope);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Registry host, with the port when there is one. */
    public String domain() {
        return domain;
    }

    /** Repository path below the registry host, e.g. {@code library/busybox}. */
    public String path() {
        return path;
    }

    public Optional<String> tag() {
        return Optional.ofNullable(tag);
    }

    public Optional<String> digest() {
        return Optional.ofNullable(digest);
    }

    /** Registry and repository, without tag or digest. */
    public String name() {
        return domain + "/" + path;
    }

    public boolean isNameOnly() {
        return tag == null && digest == null;
    }

    public DockerReference withDigest(String newDigest) {
        if (!DIGEST.matcher(newDigest).matches()) {
            throw new IllegalArgumentException("invalid digest \"" + newDigest + "\"");
        }
        return new DockerReference(domain, path, tag, newDigest);
    }

    /**
     * The names under which policy scopes and registries.d entries are looked up, most specific
     * first: the full reference, the repository, each enclosing namespace, the host, then
     * {@code *.}-wildcards of the host's parent domains (the port plays no part in wildcards).
     */
    public List<String> scopeCandidates() {
        List<String> out = new ArrayList<>();
        if (!isNameOnly()) {
            out.add(toString());
        }
        String name = name();
        while (true) {
            out.add(name);
            int slash = name.lastIndexOf('/');
            if (slash < 0) {
                break;
            }
            name = name.substring(0, slash);
        }
        String host = name;
        if (!host.startsWith("[")) {
            int portColon = host.indexOf(':');
            if (portColon >= 0) {
                host = host.substring(0, portColon);
            }
            int dot;
            while ((dot = host.indexOf('.')) >= 0) {
                host = host.substring(dot + 1);
                out.add("*." + host);
            }
        }
        return out;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(name());
        if (tag != null) {
            sb.append(':').append(tag);
        }
        if (digest != null) {
            sb.append('@').append(digest);
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DockerReference other && toString().equals(other.toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }
}
