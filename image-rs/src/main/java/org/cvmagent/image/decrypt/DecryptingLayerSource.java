package org.cvmagent.image.decrypt;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.cvmagent.image.registry.RegistryException;
import org.cvmagent.image.registry.VerifyingInputStream;
import org.cvmagent.image.store.LayerSource;

/**
 * An encrypted layer's source for the store: no decrypted byte reaches the unpacker before the
 * whole ciphertext is trusted. First the ciphertext is downloaded into a staging file while its
 * digest (the manifest's) and its HMAC-SHA256 (keyed with the layer key, from the pubopts) are
 * computed; a mismatch of either refuses the layer before anything is unpacked. Then the staged
 * ciphertext is decrypted (AES-256-CTR) as the unpacker reads it; that pass computes the HMAC again
 * (the staging file sits on the store's disk) and fails at end of data if it differs, which makes
 * the store discard its staging directory. The staging file holds only ciphertext and is deleted when the stream is closed.
 */
public final class DecryptingLayerSource implements LayerSource {
    private final LayerCipher cipher;
    private final LayerSource ciphertext;
    private final Path stagingDir;

    /**
     * @param ciphertext the registry blob, verified against the layer digest as it is read
     * @param stagingDir where the ciphertext is staged (the store's tmp directory)
     */
    public DecryptingLayerSource(LayerCipher cipher, LayerSource ciphertext, Path stagingDir) {
        this.cipher = cipher;
        this.ciphertext = ciphertext;
        this.stagingDir = stagingDir;
    }

    @Override
    public VerifyingInputStream open() throws IOException {
        Path staged = Files.createTempFile(stagingDir, "encrypted-" + cipher.layer().hex().substring(0, 12) + "-", "");
        try {
            long size;
            Mac mac = mac();
            try (VerifyingInputStream blob = ciphertext.open();
                 OutputStream out = Files.newOutputStream(staged, StandardOpenOption.WRITE)) {
                if (!blob.expected().equals(cipher.layer())) {
                    throw new IllegalArgumentException("layer source verifies " + blob.expected() + ", not " + cipher.layer());
                }
                byte[] buf = new byte[1 << 16];
                for (int n; (n = blob.read(buf, 0, buf.length)) >= 0; ) {
                    mac.update(buf, 0, n);
                    out.write(buf, 0, n);
                }
                size = blob.count();
            }
            if (!MessageDigest.isEqual(mac.doFinal(), cipher.hmac())) {
                throw new LayerDecryptionException(LayerDecryptionException.Reason.TAMPERED, cipher.layer(),
                        "the ciphertext does not match its HMAC (tampered, or not encrypted with the unwrapped key); "
                                + "nothing of it was unpacked");
            }
            // The private options' digest is not checked: skopeo states the source layer's, which is
            // not the plaintext's when it compressed the layer before encrypting it. The config's
            // diff_ids still bind the unpacked content.
            return new VerifyingInputStream(new Decrypting(Files.newInputStream(staged), staged), cipher.layer(),
                    null, size);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(staged);
            throw e;
        }
    }

    private Mac mac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(cipher.key(), "HmacSHA256"));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable", e);
        }
    }

    /** AES-256-CTR over the staged ciphertext, its HMAC checked again at end of data. */
    private final class Decrypting extends FilterInputStream {
        private final Path staged;
        private final Cipher ctr;
        private final Mac mac = mac();
        private boolean checked;

        Decrypting(InputStream in, Path staged) {
            super(in);
            this.staged = staged;
            try {
                ctr = Cipher.getInstance("AES/CTR/NoPadding");
                ctr.init(Cipher.DECRYPT_MODE, new SecretKeySpec(cipher.key(), "AES"), new IvParameterSpec(cipher.nonce()));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES/CTR is unavailable", e);
            }
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            int n = in.read(b, off, len);
            if (n < 0) {
                if (!checked && !MessageDigest.isEqual(mac.doFinal(), cipher.hmac())) {
                    throw new RegistryException(RegistryException.Reason.DIGEST_MISMATCH, "layer " + cipher.layer()
                            + ": the staged ciphertext changed after its HMAC was verified");
                }
                checked = true;
                return -1;
            }
            mac.update(b, off, n);
            // CTR is a stream cipher: update() returns exactly as many bytes as it is given.
            int out;
            try {
                out = ctr.update(b, off, n, b, off);
            } catch (GeneralSecurityException e) {
                throw new IOException("decrypting layer " + cipher.layer() + ": " + e.getMessage(), e);
            }
            if (out != n) {
                throw new IllegalStateException("AES/CTR returned " + out + " bytes for " + n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            byte[] buf = new byte[8192];
            long done = 0;
            while (done < n) {
                int r = read(buf, 0, (int) Math.min(buf.length, n - done));
                if (r < 0) {
                    break;
                }
                done += r;
            }
            return done;
        }

        @Override
        public int available() {
            return 0;
        }

        @Override
        public boolean markSupported() {
            return false;
        }

        @Override
        public void close() throws IOException {
            try {
                super.close();
            } finally {
                Files.deleteIfExists(staged);
            }
        }
    }
}
