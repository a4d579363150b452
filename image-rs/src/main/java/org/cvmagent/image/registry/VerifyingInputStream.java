package org.cvmagent.image.registry;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * Hashes a blob while it is read and, at end of data, fails with
 * {@link RegistryException.Reason#DIGEST_MISMATCH} unless size and digest are those of the
 * descriptor. Reading past the declared size fails at once, so a hostile registry cannot
 * stream without end.
 */
public final class VerifyingInputStream extends FilterInputStream {
    private final Digest expected;
    private final Digest content;
    private final long expectedSize;
    private final MessageDigest md;
    private long count;
    private boolean verified;

    public VerifyingInputStream(InputStream in, Digest expected, long expectedSize) {
        this(in, expected, expected, expectedSize);
    }

    /**
     * A stream that stands for the blob {@code expected} but whose bytes are a transformation of
     * it: they must hash to {@code content}, or, when it is null, {@code in} verifies them itself
     * and fails at end of data (a decrypted layer, whose ciphertext's HMAC is checked).
     */
    public VerifyingInputStream(InputStream in, Digest expected, Digest content, long expectedSize) {
        super(in);
        this.expected = expected;
        this.content = content;
        this.expectedSize = expectedSize;
        this.md = content == null ? null : content.newMessageDigest();
    }

    /** The digest of the blob this stream reads (equal to its content's unless decrypted). */
    public Digest expected() {
        return expected;
    }

    /** Bytes read so far. */
    public long count() {
        return count;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n;
        try {
            n = in.read(b, off, len);
        } catch (RegistryException e) {
            throw e;
        } catch (IOException e) {
            // Failures of the source are the network's, whatever reads this stream (a decompressor,
            // a tar reader) makes of them: the pull can retry.
            throw new RegistryException(RegistryException.Reason.NETWORK, "reading blob " + expected + ": " + e.getMessage(), e);
        }
        if (n < 0) {
            verifyAtEnd();
            return -1;
        }
        count += n;
        if (expectedSize >= 0 && count > expectedSize) {
            throw new RegistryException(RegistryException.Reason.DIGEST_MISMATCH,
                    "blob " + expected + " is longer than its declared " + expectedSize + " bytes");
        }
        if (md != null) {
            md.update(b, off, n);
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

    /** Reads what is left (a tar reader stops at its end-of-archive blocks) and verifies. */
    public void drainAndVerify() throws IOException {
        byte[] buf = new byte[8192];
        while (read(buf, 0, buf.length) >= 0) {
            // keep reading: the digest covers every byte
        }
    }

    public boolean verified() {
        return verified;
    }

    private void verifyAtEnd() throws RegistryException {
        if (verified) {
            return;
        }
        if (expectedSize >= 0 && count != expectedSize) {
            throw new RegistryException(RegistryException.Reason.DIGEST_MISMATCH,
                    "blob " + expected + " has " + count + " bytes, descriptor says " + expectedSize);
        }
        if (md != null && !content.matches(md.digest())) {
            throw new RegistryException(RegistryException.Reason.DIGEST_MISMATCH, content.equals(expected)
                    ? "content of blob does not hash to " + expected
                    : "decrypted content of blob " + expected + " does not hash to " + content);
        }
        verified = true;
    }
}
