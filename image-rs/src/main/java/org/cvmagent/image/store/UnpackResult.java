package org.cvmagent.image.store;

import java.util.List;

/**
 * What one layer held.
 *
 * @param whiteouts deletions it applies to the layers below
 * @param entries tar entries read
 * @param bytes bytes of regular-file content written
 * @param skippedXattrs extended attributes the file system refused (EOPNOTSUPP), as "path name"
 */
public record UnpackResult(List<Whiteout> whiteouts, long entries, long bytes, List<String> skippedXattrs) {
    public UnpackResult {
        whiteouts = List.copyOf(whiteouts);
        skippedXattrs = List.copyOf(skippedXattrs);
    }
}
