package org.cvmagent.image.store;

import java.util.ArrayList;
import java.util.List;

/** Tar entry names reduced to safe relative paths, or refused. */
final class EntryNames {
    private EntryNames() {
    }

    /**
     * The name as '/'-separated components with "." and empty components dropped; "" is the
     * layer root. Absolute names, ".." components and NUL bytes are refused: a layer never
     * needs them, so fail closed rather than reinterpret them.
     */
    static List<String> components(String name) throws UnsafeLayerException {
        if (name.indexOf('\0') >= 0) {
            throw new UnsafeLayerException(UnsafeLayerException.Kind.INVALID_ENTRY, "name with NUL byte");
        }
        if (name.startsWith("/")) {
            throw new UnsafeLayerException(UnsafeLayerException.Kind.PATH_ESCAPE, "absolute name " + name);
        }
        List<String> parts = new ArrayList<>();
        for (String c : name.split("/")) {
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                throw new UnsafeLayerException(UnsafeLayerException.Kind.PATH_ESCAPE, "name with '..': " + name);
            }
            parts.add(c);
        }
        return parts;
    }

    static String join(List<String> parts) {
        return String.join("/", parts);
    }
}
