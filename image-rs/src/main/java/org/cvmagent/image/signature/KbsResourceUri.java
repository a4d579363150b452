package org.cvmagent.image.signature;

import java.util.regex.Pattern;

/**
 * A {@code kbs:///repository/type/tag} (or {@code kbs://host/repository/type/tag}) resource URI.
 * Only this exact shape is accepted, so a malformed location is never silently read as a path.
 */
public record KbsResourceUri(String host, String repository, String type, String tag) {

    private static final String SCHEME = "kbs://";
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._-]+");

    public static boolean isKbs(String location) {
        return location.startsWith("kbs:");
    }

    public static KbsResourceUri parse(String location) {
        if (!location.startsWith(SCHEME)) {
            throw new IllegalArgumentException("KBS resource URI must start with kbs://: " + location);
        }
        String rest = location.substring(SCHEME.length());
        int slash = rest.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("KBS resource URI has no path: " + location);
        }
        String host = rest.substring(0, slash);
        String[] parts = rest.substring(slash + 1).split("/", -1);
        if (parts.length != 3) {
            throw new IllegalArgumentException(
                    "KBS resource URI must be kbs:///repository/type/tag: " + location);
        }
        for (String p : parts) {
            if (!SEGMENT.matcher(p).matches() || p.equals(".") || p.equals("..")) {
                throw new IllegalArgumentException("invalid segment in KBS resource URI: " + location);
            }
        }
        return new KbsResourceUri(host, parts[0], parts[1], parts[2]);
    }

    @Override
    public String toString() {
        return SCHEME + host + "/" + repository + "/" + type + "/" + tag;
    }
}
