package org.cvmagent.image.signature;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;

/** The OpenPGP public keys a {@code signedBy} requirement trusts, from binary or ASCII-armored keyrings. */
final class GpgKeyring {

    private final List<PGPPublicKeyRing> rings;

    private GpgKeyring(List<PGPPublicKeyRing> rings) {
        this.rings = rings;
    }

    static GpgKeyring parse(List<byte[]> blobs, String source) throws SignatureVerificationException {
        List<PGPPublicKeyRing> rings = new ArrayList<>();
        for (byte[] blob : blobs) {
            try (InputStream in = PGPUtil.getDecoderStream(new ByteArrayInputStream(blob))) {
                PGPPublicKeyRingCollection collection = new PGPPublicKeyRingCollection(in, new BcKeyFingerprintCalculator());
                collection.getKeyRings().forEachRemaining(rings::add);
            } catch (IOException | PGPException e) {
                throw SignatureVerificationException.invalidPolicy(
                        "GPG keys from " + source + " are not a valid OpenPGP public keyring: " + e.getMessage());
            }
        }
        if (rings.isEmpty()) {
            throw SignatureVerificationException.invalidPolicy("no GPG public keys in " + source);
        }
        return new GpgKeyring(List.copyOf(rings));
    }

    /** The primary key or subkey with this key ID, or null when none of the trusted keys has it. */
    PGPPublicKey find(long keyId) {
        for (PGPPublicKeyRing ring : rings) {
            PGPPublicKey key = ring.getPublicKey(keyId);
            if (key != null) {
                return key;
            }
        }
        return null;
    }

    /** The primary key of the ring holding {@code key}: its revocation and expiry govern subkeys too. */
    PGPPublicKey primaryOf(PGPPublicKey key) {
        for (PGPPublicKeyRing ring : rings) {
            if (ring.getPublicKey(key.getKeyID()) != null) {
                return ring.getPublicKey();
            }
        }
        return key;
    }
}
