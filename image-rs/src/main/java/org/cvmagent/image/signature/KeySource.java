package org.cvmagent.image.signature;

import java.util.List;

/**
 * Where a requirement's trusted keys come from: locations ({@code keyPath}/{@code keyPaths}, files
 * or {@code kbs://} URIs), read at verification time, or data embedded in the policy
 * ({@code keyData}/{@code keyDatas}).
 */
public record KeySource(List<String> locations, List<byte[]> inline) {

    public KeySource {
        locations = List.copyOf(locations);
        inline = List.copyOf(inline);
        if (locations.isEmpty() == inline.isEmpty()) {
            throw new IllegalArgumentException("exactly one of key locations or key data must be given");
        }
    }

    public static KeySource ofLocations(List<String> locations) {
        return new KeySource(locations, List.of());
    }

    public static KeySource ofData(List<byte[]> data) {
        return new KeySource(List.of(), data);
    }

    /** Every key blob, in policy order. */
    public List<byte[]> load(ResourceLoader loader) throws SignatureVerificationException {
        if (!inline.isEmpty()) {
            return inline;
        }
        List<byte[]> out = new java.util.ArrayList<>();
        for (String location : locations) {
            out.add(loader.load(location));
        }
        return out;
    }

    public String describe() {
        return inline.isEmpty() ? String.join(", ", locations) : inline.size() + " embedded key(s)";
    }
}
