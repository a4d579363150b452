package org.cvmagent.image.signature;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.HexFormat;
import org.bouncycastle.openpgp.PGPCompressedData;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPOnePassSignature;
import org.bouncycastle.openpgp.PGPOnePassSignatureList;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.bc.BcPGPObjectFactory;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentVerifierBuilderProvider;
import org.cvmagent.image.signature.SignatureVerificationException.Reason;

/**
 * Verifies an OpenPGP signed message (what {@code gpg --sign} and {@code skopeo standalone-sign}
 * write: optionally compressed one-pass signature, literal data, signature) and returns the signed
 * bytes only when exactly one signature by a trusted, unrevoked, unexpired key covers them.
 */
final class GpgSignatureVerifier {

    /** Payloads are a few hundred bytes; the bound keeps a hostile signature from exhausting memory. */
    private static final int MAX_PAYLOAD_BYTES = 4 * 1024 * 1024;

    byte[] verify(byte[] signedMessage, GpgKeyring keyring) throws SignatureVerificationException {
        try (InputStream decoded = PGPUtil.getDecoderStream(new ByteArrayInputStream(signedMessage))) {
            BcPGPObjectFactory factory = new BcPGPObjectFactory(decoded);
            Object next = factory.nextObject();
            if (next instanceof PGPCompressedData compressed) {
                factory = new BcPGPObjectFactory(compressed.getDataStream());
                next = factory.nextObject();
            }
            if (!(next instanceof PGPOnePassSignatureList onePassList) || onePassList.size() != 1) {
                throw invalid("not an OpenPGP message with exactly one one-pass signature");
            }
            PGPOnePassSignature onePass = onePassList.get(0);
            PGPPublicKey key = keyring.find(onePass.getKeyID());
            if (key == null) {
                throw new SignatureVerificationException(Reason.WRONG_KEY,
                        "signed by key ID " + keyId(onePass.getKeyID()) + ", which is not a trusted key");
            }
            if (!(factory.nextObject() instanceof PGPLiteralData literal)) {
                throw invalid("OpenPGP message has no literal data after the one-pass signature");
            }
            onePass.init(new BcPGPContentVerifierBuilderProvider(), key);
            byte[] payload = readBounded(literal.getInputStream());
            onePass.update(payload);
            if (!(factory.nextObject() instanceof PGPSignatureList signatures) || signatures.size() != 1) {
                throw invalid("OpenPGP message does not end with exactly one signature");
            }
            PGPSignature signature = signatures.get(0);
            if (signature.getKeyID() != onePass.getKeyID()) {
                throw invalid("OpenPGP signature key ID differs from its one-pass header");
            }
            if (factory.nextObject() != null) {
                throw invalid("OpenPGP message has trailing packets");
            }
            if (!onePass.verify(signature)) {
                throw new SignatureVerificationException(Reason.WRONG_KEY,
                        "OpenPGP signature by key ID " + keyId(onePass.getKeyID()) + " does not verify");
            }
            checkKeyUsable(key, keyring.primaryOf(key), signature);
            return payload;
        } catch (IOException | PGPException | RuntimeException e) {
            // BouncyCastle reports malformed packets as runtime exceptions too; all mean "not a valid signature".
            throw invalid("malformed OpenPGP signature: " + e.getMessage());
        }
    }

    private static void checkKeyUsable(PGPPublicKey key, PGPPublicKey primary, PGPSignature signature)
            throws SignatureVerificationException {
        for (PGPPublicKey k : new PGPPublicKey[] {primary, key}) {
            // The revocation signature itself is not verified: a forged one can only make us refuse.
            if (k.hasRevocation()) {
                throw new SignatureVerificationException(Reason.WRONG_KEY, "key " + keyId(k.getKeyID()) + " is revoked");
            }
            long valid = k.getValidSeconds();
            if (valid > 0 && k.getCreationTime().toInstant().plusSeconds(valid).isBefore(Instant.now())) {
                throw new SignatureVerificationException(Reason.WRONG_KEY, "key " + keyId(k.getKeyID()) + " has expired");
            }
        }
        if (signature.getCreationTime().toInstant().isBefore(key.getCreationTime().toInstant())) {
            throw invalid("signature predates its key");
        }
    }

    private static byte[] readBounded(InputStream in) throws IOException, SignatureVerificationException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        int n;
        while ((n = in.read(buf)) > 0) {
            out.write(buf, 0, n);
            if (out.size() > MAX_PAYLOAD_BYTES) {
                throw invalid("signed payload is larger than " + MAX_PAYLOAD_BYTES + " bytes");
            }
        }
        return out.toByteArray();
    }

    private static String keyId(long id) {
        return HexFormat.of().withUpperCase().toHexDigits(id);
    }

    private static SignatureVerificationException invalid(String message) {
        return new SignatureVerificationException(Reason.INVALID_SIGNATURE, message);
    }
}
