package org.cvmagent.image.registry;

import java.io.IOException;
import java.io.InputStream;

/**
 * {@code skip} for streams that hash what passes through them: FilterInputStream's skip would
 * hand the skip to the stream below and the skipped bytes would escape the hash, so they are
 * read through the hashing stream's own {@code read} instead.
 */
public final class SkipByReading {
    private SkipByReading() {
    }

    /** Reads up to {@code n} bytes through {@code stream}; how many there were before its end. */
    public static long skip(InputStream stream, long n) throws IOException {
        byte[] buffer = new byte[(int) Math.max(0, Math.min(n, 8192))];
        long skipped = 0;
        while (skipped < n) {
            int r = stream.read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
            if (r < 0) {
                break;
            }
            skipped += r;
        }
        return skipped;
    }
}
