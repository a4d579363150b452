package org.cvmagent.image.signature;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The public keys a key-based {@code sigstoreSigned} requirement trusts: PEM {@code PUBLIC KEY}
 * (PKIX) blocks holding ECDSA P-256/P-384/P-521, RSA (at least 2048 bits) or Ed25519 keys. A
 * signature is accepted when one of them verifies it the way cosign signs: SHA-256 ECDSA (DER) or
 * RSA PKCS#1 v1.5, or pure Ed25519.
 */
final class SigstorePublicKeys {

    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]+?)\\s*-----END \\1-----");
    private static final int MIN_RSA_BITS = 2048;

    private final List<PublicKey> keys;

    private SigstorePublicKeys(List<PublicKey> keys) {
        this.keys = List.copyOf(keys);
    }

    static SigstorePublicKeys of(List<PublicKey> keys) {
        return new SigstorePublicKeys(keys);
    }

    List<PublicKey> keys() {
        return keys;
    }

    static SigstorePublicKeys parse(List<byte[]> blobs, String source) throws SignatureVerificationException {
        List<PublicKey> keys = new ArrayList<>();
        for (byte[] blob : blobs) {
            Matcher m = PEM.matcher(new String(blob, StandardCharsets.US_ASCII));
            int found = 0;
            while (m.find()) {
                if (!m.group(1).equals("PUBLIC KEY")) {
                    throw SignatureVerificationException.invalidPolicy(
                            "sigstore key from " + source + " is a PEM \"" + m.group(1) + "\", expected \"PUBLIC KEY\"");
                }
                byte[] der = Base64.getMimeDecoder().decode(m.group(2));
                keys.add(decode(der, source));
                found++;
            }
            if (found == 0) {
                throw SignatureVerificationException.invalidPolicy("no PEM public key in sigstore key from " + source);
            }
        }
        return new SigstorePublicKeys(keys);
    }

    private static PublicKey decode(byte[] der, String source) throws SignatureVerificationException {
        for (String algorithm : new String[] {"EC", "RSA", "Ed25519"}) {
            PublicKey key;
            try {
                key = KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // Not a key of this algorithm: the SubjectPublicKeyInfo names exactly one, try the next.
                continue;
            }
            if (key instanceof ECPublicKey ec) {
                // The JDK names its NIST curves "secp256r1 [NIST P-256, ...]"; anything else is refused.
                String curve = ec.getParams().toString();
                if (!(curve.contains("NIST P-256") || curve.contains("NIST P-384") || curve.contains("NIST P-521"))) {
                    throw SignatureVerificationException.invalidPolicy(
                            "sigstore key from " + source + " uses an unsupported EC curve (" + curve + ")");
                }
            }
            if (key instanceof RSAPublicKey rsa && rsa.getModulus().bitLength() < MIN_RSA_BITS) {
                throw SignatureVerificationException.invalidPolicy(
                        "sigstore RSA key from " + source + " is shorter than " + MIN_RSA_BITS + " bits");
            }
            return key;
        }
        throw SignatureVerificationException.invalidPolicy(
                "sigstore key from " + source + " is not an ECDSA, RSA or Ed25519 public key");
    }

    /** Whether any trusted key made {@code signature} over {@code payload}. */
    boolean verifies(byte[] payload, byte[] signature) {
        for (PublicKey key : keys) {
            if (verifies(key, payload, signature)) {
                return true;
            }
        }
        return false;
    }

    private static boolean verifies(PublicKey key, byte[] payload, byte[] signature) {
        String algorithm = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            default -> "Ed25519";
        };
        try {
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(key);
            verifier.update(payload);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            // A signature that cannot even be decoded for this key was not made by it.
            return false;
        }
    }
}
