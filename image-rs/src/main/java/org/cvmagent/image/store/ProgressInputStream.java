package org.cvmagent.image.store;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** Reports bytes read, at most every 256 KiB and at the end. */
final class ProgressInputStream extends FilterInputStream {
    private static final long STEP = 256 * 1024;
    private final LayerProgress progress;
    private long count;
    private long reported;

    ProgressInputStream(InputStream in, LayerProgress progress) {
        super(in);
        this.progress = progress;
    }

    @Override
    public int read() throws IOException {
        int b = in.read();
        if (b >= 0) {
            advance(1);
        } else {
            progress.transferred(count);
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n > 0) {
            advance(n);
        } else if (n < 0) {
            progress.transferred(count);
        }
        return n;
    }

    private void advance(int n) {
        count += n;
        if (count - reported >= STEP) {
            reported = count;
            progress.transferred(count);
        }
    }
}
