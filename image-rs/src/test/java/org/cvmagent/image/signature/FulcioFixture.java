package org.cvmagent.image.signature;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * A stand-in Fulcio CA (root and intermediate) and leaf signing certificate made with openssl, and a
 * Rekor log key made with the JDK, so the tests can produce keyless cosign signatures with bundles.
 */
final class FulcioFixture {

    static final String ISSUER = "https://oidc.example.com";
    static final String EMAIL = "signer@example.com";

    final Path rootPem;
    final String intermediatePem;
    final String leafPem;
    final PrivateKey leafKey;
    final KeyPair rekor;

    private FulcioFixture(Path rootPem, String intermediatePem, String leafPem, PrivateKey leafKey, KeyPair rekor) {
        this.rootPem = rootPem;
        this.intermediatePem = intermediatePem;
        this.leafPem = leafPem;
        this.leafKey = leafKey;
        this.rekor = rekor;
    }

    static FulcioFixture create(Path dir, String issuer, String email) throws Exception {
        Tools.requireBinary("openssl");
        Files.createDirectories(dir);
        Map<String, String> env = Map.of();
        String d = dir.toString();
        Tools.run(List.of("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", d + "/root.key", "-out", d + "/root.pem", "-subj", "/O=test/CN=test-fulcio-root", "-days", "3650",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"), env);
        Files.writeString(dir.resolve("int.ext"), "basicConstraints=critical,CA:TRUE,pathlen:0\n"
                + "keyUsage=critical,keyCertSign,cRLSign\nextendedKeyUsage=codeSigning\n");
        Tools.run(List.of("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", d + "/int.key", "-out", d + "/int.csr", "-subj", "/O=test/CN=test-fulcio-intermediate"), env);
        Tools.run(List.of("openssl", "x509", "-req", "-in", d + "/int.csr", "-CA", d + "/root.pem", "-CAkey",
                d + "/root.key", "-CAcreateserial", "-out", d + "/int.pem", "-days", "3650", "-extfile", d + "/int.ext"), env);
        // The v1 issuer extension holds the raw string; v2 a DER UTF8String (as Fulcio writes them).
        Files.writeString(dir.resolve("leaf.ext"), "keyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n"
                + "subjectAltName=critical,email:" + email + "\n"
                + FulcioVerifier.ISSUER_V1_OID + "=DER:" + HexFormat.of().formatHex(issuer.getBytes(StandardCharsets.UTF_8)) + "\n"
                + FulcioVerifier.ISSUER_V2_OID + "=ASN1:UTF8String:" + issuer + "\n");
        Tools.run(List.of("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", d + "/leaf.key", "-out", d + "/leaf.csr", "-subj", "/O=test"), env);
        Tools.run(List.of("openssl", "x509", "-req", "-in", d + "/leaf.csr", "-CA", d + "/int.pem", "-CAkey",
                d + "/int.key", "-CAcreateserial", "-out", d + "/leaf.pem", "-days", "1", "-extfile", d + "/leaf.ext"), env);
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return new FulcioFixture(dir.resolve("root.pem"), Files.readString(dir.resolve("int.pem")),
                Files.readString(dir.resolve("leaf.pem")), privateKey(Files.readString(dir.resolve("leaf.key"))),
                g.generateKeyPair());
    }

    private static PrivateKey privateKey(String pem) throws GeneralSecurityException {
        String b64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(b64)));
    }

    static String publicPem(PublicKey key) {
        return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder().encodeToString(key.getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
    }

    /**
     * A Rekor bundle, signed by {@code logKey}, logging {@code signatureB64} over {@code payload} by
     * the key or certificate {@code signerPem}, integrated at {@code integratedTime}.
     */
    static String bundle(PrivateKey logKey, String signerPem, String signatureB64, byte[] payload, Instant integratedTime)
            throws GeneralSecurityException {
        String hash = HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(payload));
        Base64.Encoder b64 = Base64.getEncoder();
        String body = "{\"apiVersion\":\"0.0.1\",\"kind\":\"hashedrekord\",\"spec\":{\"data\":{\"hash\":{\"algorithm\":"
                + "\"sha256\",\"value\":\"" + hash + "\"}},\"signature\":{\"content\":\"" + signatureB64
                + "\",\"publicKey\":{\"content\":\"" + b64.encodeToString(signerPem.getBytes(StandardCharsets.US_ASCII))
                + "\"}}}}";
        String entry = "{\"body\":\"" + b64.encodeToString(body.getBytes(StandardCharsets.UTF_8)) + "\",\"integratedTime\":"
                + integratedTime.getEpochSecond() + ",\"logID\":\"" + "ab".repeat(32) + "\",\"logIndex\":42}";
        java.security.Signature s = java.security.Signature.getInstance("SHA256withECDSA");
        s.initSign(logKey);
        s.update(entry.getBytes(StandardCharsets.UTF_8));
        // Field order in the bundle differs from the canonical order on purpose: the verifier must canonicalise.
        String reordered = "{\"logIndex\":42,\"logID\":\"" + "ab".repeat(32) + "\",\"integratedTime\":"
                + integratedTime.getEpochSecond() + ",\"body\":\"" + b64.encodeToString(body.getBytes(StandardCharsets.UTF_8)) + "\"}";
        return "{\"SignedEntryTimestamp\":\"" + b64.encodeToString(s.sign()) + "\",\"Payload\":" + reordered + "}";
    }

    static void writeTo(Path file, String content) throws IOException {
        Files.writeString(file, content);
    }
}
