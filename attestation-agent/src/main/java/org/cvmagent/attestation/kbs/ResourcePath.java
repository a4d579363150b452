package org.cvmagent.attestation.kbs;

import java.util.regex.Pattern;

/**
 * A KBS resource, {@code <repository>/<type>/<tag>}. Segments are restricted to characters that
 * need no escaping in a URL path, and "." and ".." are refused, so a path can never address
 * anything but one resource.
 */
public record ResourcePath(String repository, String type, String tag) {
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._~:@+=,-]+");

    public ResourcePath {
        check("repository", repository);
        check("type", type);
        check("tag", tag);
    }

    private static void check(String what, String segment) {
        if (segment == null || segment.isEmpty()) {
            throw new IllegalArgumentException("resource " + what + " is empty");
        }
        if (segment.equals(".") || segment.equals("..") || !SEGMENT.matcher(segment).matches()) {
            throw new IllegalArgumentException("resource " + what + " '" + segment
                    + "' must be letters, digits or ._~:@+=,- and not . or ..");
        }
    }

    /** The path below {@code /kbs/v0/resource/}. */
    public String path() {
        return repository + "/" + type + "/" + tag;
    }

    @Override
    public String toString() {
        return path();
    }
}
