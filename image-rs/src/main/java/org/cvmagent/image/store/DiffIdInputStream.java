package org.cvmagent.image.store;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.cvmagent.image.registry.Digest;
import org.cvmagent.image.registry.SkipByReading;

/**
 * Hashes a layer's uncompressed tar stream as it is read: the result is the layer's diff_id,
 * which the image config lists and which the compressed blob's digest does not vouch for.
 */
final class DiffIdInputStream extends FilterInputStream {
    /**
     * Tar writers pad the archive to their record size (10 KiB by default, up to 1 MiB with large
     * blocking factors); more than this after the end-of-archive blocks is not a tar writer's
     * padding but a way to make the guest decompress without limit.
     */
    static final long MAX_TRAILING_BYTES = 16L << 20;

    private final MessageDigest sha256 = Digest.newSha256();

    DiffIdInputStream(InputStream uncompressed) {
        super(uncompressed);
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            sha256.update((byte) b);
        }
        return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        int n = super.read(buffer, offset, length);
        if (n > 0) {
            sha256.update(buffer, offset, n);
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        return SkipByReading.skip(this, n);
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    /** Reads what follows the tar's end-of-archive blocks (hashing it) and returns the diff_id. */
    Digest finish() throws IOException {
        byte[] buffer = new byte[8192];
        long trailing = 0;
        for (int n; (n = read(buffer, 0, buffer.length)) >= 0; ) {
            trailing += n;
            if (trailing > MAX_TRAILING_BYTES) {
                throw new UnsafeLayerException(UnsafeLayerException.Kind.LIMIT, "more than " + MAX_TRAILING_BYTES
                        + " bytes follow the end of the tar archive");
            }
        }
        return new Digest("sha256", HexFormat.of().formatHex(sha256.digest()));
    }
}
