package org.cvmagent.image.signature;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.tsp.TSPAlgorithms;
import org.bouncycastle.tsp.TimeStampRequestGenerator;
import org.bouncycastle.tsp.TimeStampResponseGenerator;
import org.bouncycastle.tsp.TimeStampTokenGenerator;

/**
 * A private Sigstore for tests, made with BouncyCastle: a Fulcio-like CA (root and intermediate)
 * issuing signing certificates with the OIDC issuer extensions and an e-mail SAN, a Rekor-like log
 * key (signed entry timestamps, Merkle inclusion proofs, checkpoints) and an RFC 3161 timestamp
 * authority; and a builder for Sigstore bundles v0.1–v0.3 made with them, with knobs to break each
 * part. Everything is generated here; no outside test data.
 */
public final class BundleFixture {

    public static final String ISSUER = "https://oidc.example.com";
    public static final String EMAIL = "signer@example.com";
    private static final AtomicLong SERIAL = new AtomicLong(1000);

    final KeyPair caRootKey = ec();
    final X509Certificate caRoot;
    final KeyPair caIntKey = ec();
    final X509Certificate caIntermediate;
    final KeyPair rekor = ec();
    final KeyPair tsaRootKey = ec();
    final X509Certificate tsaRoot;
    final KeyPair tsaKey = ec();
    final X509Certificate tsaLeaf;

    public BundleFixture() throws Exception {
        Instant now = Instant.now();
        caRoot = ca("CN=test-fulcio-root", caRootKey, null, null, now.minus(Duration.ofDays(30)), now.plus(Duration.ofDays(365)));
        caIntermediate = ca("CN=test-fulcio-intermediate", caIntKey, caRoot, caRootKey.getPrivate(),
                now.minus(Duration.ofDays(30)), now.plus(Duration.ofDays(365)));
        tsaRoot = ca("CN=test-tsa-root", tsaRootKey, null, null, now.minus(Duration.ofDays(30)), now.plus(Duration.ofDays(365)));
        JcaX509v3CertificateBuilder b = builder(tsaRoot, "CN=test-tsa", tsaKey, now.minus(Duration.ofDays(30)),
                now.plus(Duration.ofDays(365)));
        b.addExtension(Extension.extendedKeyUsage, true, new ExtendedKeyUsage(KeyPurposeId.id_kp_timeStamping));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        tsaLeaf = sign(b, tsaRootKey.getPrivate());
    }

    static KeyPair ec() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static JcaX509v3CertificateBuilder builder(X509Certificate issuer, String subject, KeyPair key, Instant from,
            Instant to) {
        X500Name issuerName = issuer == null ? new X500Name(subject) : X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded());
        return new JcaX509v3CertificateBuilder(issuerName, BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(from),
                Date.from(to), new X500Name(subject), key.getPublic());
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key) throws Exception {
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
    }

    private static X509Certificate ca(String subject, KeyPair key, X509Certificate issuer, PrivateKey issuerKey, Instant from,
            Instant to) throws Exception {
        JcaX509v3CertificateBuilder b = builder(issuer, subject, key, from, to);
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(issuer == null ? 1 : 0));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        return sign(b, issuerKey == null ? key.getPrivate() : issuerKey);
    }

    /** A Fulcio-style signing certificate for {@code key}, issued by the intermediate. */
    X509Certificate leaf(KeyPair key, String issuer, String email, Instant from, Instant to) throws Exception {
        return leaf(key, issuer, new GeneralName(GeneralName.rfc822Name, email), from, to);
    }

    /** A signing certificate whose identity is a URI, as Fulcio issues to CI workflows. */
    X509Certificate leafWithUri(KeyPair key, String issuer, String uri) throws Exception {
        Instant now = Instant.now();
        return leaf(key, issuer, new GeneralName(GeneralName.uniformResourceIdentifier, uri), now.minus(Duration.ofMinutes(5)),
                now.plus(Duration.ofMinutes(10)));
    }

    private X509Certificate leaf(KeyPair key, String issuer, GeneralName identity, Instant from, Instant to) throws Exception {
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
                X500Name.getInstance(caIntermediate.getSubjectX500Principal().getEncoded()),
                BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(from), Date.from(to), new X500Name(new org.bouncycastle.asn1.x500.RDN[0]),
                key.getPublic());
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_codeSigning));
        b.addExtension(Extension.subjectAlternativeName, true, new GeneralNames(identity));
        b.addExtension(new ASN1ObjectIdentifier(FulcioVerifier.ISSUER_V1_OID), false, issuer.getBytes(StandardCharsets.UTF_8));
        b.addExtension(new ASN1ObjectIdentifier(FulcioVerifier.ISSUER_V2_OID), false, new DERUTF8String(issuer));
        return sign(b, caIntKey.getPrivate());
    }

    X509Certificate leaf(KeyPair key) throws Exception {
        Instant now = Instant.now();
        return leaf(key, ISSUER, EMAIL, now.minus(Duration.ofMinutes(5)), now.plus(Duration.ofMinutes(10)));
    }

    static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    static byte[] sha256(byte[] data) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(data);
    }

    static byte[] ecdsa(PrivateKey key, byte[] data) throws Exception {
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(key);
        s.update(data);
        return s.sign();
    }

    /** A trusted root with the CA, the Rekor key and the TSA. */
    public String trustedRoot() throws Exception {
        return trustedRoot(true, true, true);
    }

    /**
     * A keyless cosign v3 bundle (v0.3, DSSE with cosign's signing predicate, Rekor entry with promise
     * and proof) for the manifest {@code manifestDigest} ("sha256:<hex>"), signed as {@link #EMAIL}.
     */
    public byte[] keylessBundle(String manifestDigest) throws Exception {
        Spec s = new Spec();
        s.content = Content.DSSE;
        s.leaf = leaf(s.signer);
        s.signedDigest = java.util.HexFormat.of().parseHex(manifestDigest.substring("sha256:".length()));
        return bundle(s).getBytes(StandardCharsets.UTF_8);
    }

    /** The trusted root with what {@code withCa}, {@code withLog}, {@code withTsa} select. */
    String trustedRoot(boolean withCa, boolean withLog, boolean withTsa) throws Exception {
        StringBuilder sb = new StringBuilder("{\"mediaType\":\"application/vnd.dev.sigstore.trustedroot+json;version=0.1\"");
        sb.append(",\"tlogs\":[");
        if (withLog) {
            sb.append("{\"baseUrl\":\"https://rekor.test\",\"hashAlgorithm\":\"SHA2_256\",\"publicKey\":{\"rawBytes\":\"")
                    .append(b64(rekor.getPublic().getEncoded()))
                    .append("\",\"keyDetails\":\"PKIX_ECDSA_P256_SHA_256\",\"validFor\":{\"start\":\"2020-01-01T00:00:00Z\"}},")
                    .append("\"logId\":{\"keyId\":\"").append(b64(sha256(rekor.getPublic().getEncoded()))).append("\"}}");
        }
        sb.append("],\"certificateAuthorities\":[");
        if (withCa) {
            sb.append("{\"subject\":{\"organization\":\"test\",\"commonName\":\"test-fulcio\"},\"uri\":\"https://fulcio.test\",")
                    .append("\"certChain\":{\"certificates\":[{\"rawBytes\":\"").append(b64(caIntermediate.getEncoded()))
                    .append("\"},{\"rawBytes\":\"").append(b64(caRoot.getEncoded()))
                    .append("\"}]},\"validFor\":{\"start\":\"2020-01-01T00:00:00Z\"}}");
        }
        sb.append("],\"ctlogs\":[],\"timestampAuthorities\":[");
        if (withTsa) {
            sb.append("{\"subject\":{\"organization\":\"test\",\"commonName\":\"test-tsa\"},\"uri\":\"https://tsa.test\",")
                    .append("\"certChain\":{\"certificates\":[{\"rawBytes\":\"").append(b64(tsaLeaf.getEncoded()))
                    .append("\"},{\"rawBytes\":\"").append(b64(tsaRoot.getEncoded()))
                    .append("\"}]},\"validFor\":{\"start\":\"2020-01-01T00:00:00Z\"}}");
        }
        return sb.append("]}").toString();
    }

    /** An RFC 3161 response by the test TSA over SHA-256({@code signature}), at {@code at}. */
    byte[] timestamp(byte[] signature, Instant at) throws Exception {
        var signerInfo = new JcaSimpleSignerInfoGeneratorBuilder().build("SHA256withECDSA", tsaKey.getPrivate(), tsaLeaf);
        TimeStampTokenGenerator gen = new TimeStampTokenGenerator(signerInfo,
                new org.bouncycastle.operator.bc.BcDigestCalculatorProvider().get(
                        new org.bouncycastle.asn1.x509.AlgorithmIdentifier(org.bouncycastle.asn1.oiw.OIWObjectIdentifiers.idSHA1)),
                new ASN1ObjectIdentifier("1.2.3.4.1"));
        gen.addCertificates(new JcaCertStore(List.of(tsaLeaf)));
        TimeStampRequestGenerator reqGen = new TimeStampRequestGenerator();
        reqGen.setCertReq(true);
        var request = reqGen.generate(NISTObjectIdentifiers.id_sha256, sha256(signature));
        TimeStampResponseGenerator respGen = new TimeStampResponseGenerator(gen, TSPAlgorithms.ALLOWED);
        return respGen.generate(request, BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(at)).getEncoded();
    }

    // ---- Merkle tree (RFC 6962) ----

    static byte[] leafHash(byte[] data) {
        return TransparencyLogEntries.hash((byte) 0, data, null);
    }

    static byte[] mth(List<byte[]> leaves) {
        if (leaves.size() == 1) {
            return leaves.getFirst();
        }
        int k = Integer.highestOneBit(leaves.size() - 1);
        return TransparencyLogEntries.hash((byte) 1, mth(leaves.subList(0, k)), mth(leaves.subList(k, leaves.size())));
    }

    static List<byte[]> path(int m, List<byte[]> leaves) {
        if (leaves.size() == 1) {
            return new ArrayList<>();
        }
        int k = Integer.highestOneBit(leaves.size() - 1);
        List<byte[]> out;
        if (m < k) {
            out = path(m, leaves.subList(0, k));
            out.add(mth(leaves.subList(k, leaves.size())));
        } else {
            out = path(m - k, leaves.subList(k, leaves.size()));
            out.add(mth(leaves.subList(0, k)));
        }
        return out;
    }

    // ---- bundles ----

    enum Content { MESSAGE, DSSE }

    /** How to build one bundle; each field a knob the negative tests turn. */
    static final class Spec {
        int minor = 3;
        Content content = Content.MESSAGE;
        KeyPair signer = ec();
        X509Certificate leaf;            // null: a public key bundle
        boolean chainInBundle;           // x509CertificateChain (leaf + intermediate) instead of certificate
        byte[] signedDigest;             // the manifest digest the content names
        boolean tlog = true;
        boolean set = true;
        boolean proof = true;
        boolean tamperProof;
        boolean tamperCheckpoint;
        KeyPair logKey;                  // null: the fixture's Rekor key
        Instant integratedTime = Instant.now();
        Instant timestampAt;             // non-null: add an RFC 3161 timestamp at this time
        boolean tamperSignature;
        String predicateType = BundleVerifier.COSIGN_SIGN_PREDICATE;
    }

    String bundle(Spec s) throws Exception {
        KeyPair logKey = s.logKey == null ? rekor : s.logKey;
        byte[] signature;
        String contentJson;
        String signerPem = s.leaf != null ? pem("CERTIFICATE", s.leaf.getEncoded()) : pem("PUBLIC KEY", s.signer.getPublic().getEncoded());
        String body;
        String kind;
        if (s.content == Content.MESSAGE) {
            boolean rsa = s.signer.getPrivate().getAlgorithm().equals("RSA");
            Signature sig = Signature.getInstance(rsa ? "NONEwithRSA" : "NONEwithECDSA");
            sig.initSign(s.signer.getPrivate());
            if (rsa) {
                // PKCS#1 v1.5 over SHA-256 DigestInfo, i.e. SHA256withRSA over the manifest
                sig.update(HexFormat.of().parseHex("3031300d060960864801650304020105000420"));
            }
            sig.update(s.signedDigest);
            signature = sig.sign();
            kind = "hashedrekord";
            body = "{\"apiVersion\":\"0.0.1\",\"kind\":\"hashedrekord\",\"spec\":{\"data\":{\"hash\":{\"algorithm\":\"sha256\","
                    + "\"value\":\"" + HexFormat.of().formatHex(s.signedDigest) + "\"}},\"signature\":{\"content\":\""
                    + b64(signature) + "\",\"publicKey\":{\"content\":\"" + b64(signerPem.getBytes(StandardCharsets.US_ASCII)) + "\"}}}}";
            byte[] shown = s.tamperSignature ? flip(signature) : signature;
            contentJson = "\"messageSignature\":{\"messageDigest\":{\"algorithm\":\"SHA2_256\",\"digest\":\""
                    + b64(s.signedDigest) + "\"},\"signature\":\"" + b64(shown) + "\"}";
            signature = shown;
        } else {
            String statement = "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"registry.test/app\","
                    + "\"digest\":{\"sha256\":\"" + HexFormat.of().formatHex(s.signedDigest) + "\"}}],\"predicateType\":\""
                    + s.predicateType + "\",\"predicate\":{}}";
            byte[] payload = statement.getBytes(StandardCharsets.UTF_8);
            signature = ecdsa(s.signer.getPrivate(), BundleVerifier.pae(BundleVerifier.IN_TOTO_PAYLOAD_TYPE, payload));
            kind = "dsse";
            body = "{\"apiVersion\":\"0.0.1\",\"kind\":\"dsse\",\"spec\":{\"envelopeHash\":{\"algorithm\":\"sha256\",\"value\":\""
                    + "00".repeat(32) + "\"},\"payloadHash\":{\"algorithm\":\"sha256\",\"value\":\""
                    + HexFormat.of().formatHex(sha256(payload)) + "\"},\"signatures\":[{\"signature\":\"" + b64(signature)
                    + "\",\"verifier\":\"" + b64(signerPem.getBytes(StandardCharsets.US_ASCII)) + "\"}]}}";
            byte[] shown = s.tamperSignature ? flip(signature) : signature;
            contentJson = "\"dsseEnvelope\":{\"payload\":\"" + b64(payload) + "\",\"payloadType\":\""
                    + BundleVerifier.IN_TOTO_PAYLOAD_TYPE + "\",\"signatures\":[{\"sig\":\"" + b64(shown) + "\",\"keyid\":\"\"}]}";
            signature = shown;
        }

        StringBuilder material = new StringBuilder("\"verificationMaterial\":{");
        if (s.leaf == null) {
            material.append("\"publicKey\":{\"hint\":\"test-key\"}");
        } else if (s.chainInBundle) {
            material.append("\"x509CertificateChain\":{\"certificates\":[{\"rawBytes\":\"").append(b64(s.leaf.getEncoded()))
                    .append("\"},{\"rawBytes\":\"").append(b64(caIntermediate.getEncoded())).append("\"}]}");
        } else {
            material.append("\"certificate\":{\"rawBytes\":\"").append(b64(s.leaf.getEncoded())).append("\"}");
        }
        material.append(",\"tlogEntries\":[");
        if (s.tlog) {
            byte[] bodyBytes = body.getBytes(StandardCharsets.UTF_8);
            byte[] logId = sha256(logKey.getPublic().getEncoded());
            long logIndex = 12345;
            material.append("{\"logIndex\":\"").append(logIndex).append("\",\"logId\":{\"keyId\":\"").append(b64(logId))
                    .append("\"},\"kindVersion\":{\"kind\":\"").append(kind).append("\",\"version\":\"0.0.1\"},")
                    .append("\"integratedTime\":\"").append(s.integratedTime.getEpochSecond()).append("\"");
            if (s.set) {
                String canonical = "{\"body\":\"" + b64(bodyBytes) + "\",\"integratedTime\":" + s.integratedTime.getEpochSecond()
                        + ",\"logID\":\"" + HexFormat.of().formatHex(logId) + "\",\"logIndex\":" + logIndex + "}";
                material.append(",\"inclusionPromise\":{\"signedEntryTimestamp\":\"")
                        .append(b64(ecdsa(logKey.getPrivate(), canonical.getBytes(StandardCharsets.UTF_8)))).append("\"}");
            }
            if (s.proof) {
                List<byte[]> leaves = new ArrayList<>();
                for (int i = 0; i < 7; i++) {
                    leaves.add(leafHash(("other entry " + i).getBytes(StandardCharsets.UTF_8)));
                }
                int index = 5;
                leaves.set(index, leafHash(bodyBytes));
                byte[] root = mth(leaves);
                List<byte[]> path = path(index, leaves);
                if (s.tamperProof) {
                    path.set(1, flip(path.get(1)));
                }
                String origin = "rekor.test - 1234";
                String note = origin + "\n" + leaves.size() + "\n" + b64(root) + "\n";
                byte[] noteSig = ecdsa(logKey.getPrivate(), note.getBytes(StandardCharsets.UTF_8));
                if (s.tamperCheckpoint) {
                    noteSig = ecdsa(ec().getPrivate(), note.getBytes(StandardCharsets.UTF_8));
                }
                byte[] withHint = new byte[4 + noteSig.length];
                System.arraycopy(logId, 0, withHint, 0, 4);
                System.arraycopy(noteSig, 0, withHint, 4, noteSig.length);
                String envelope = note + "\n\u2014 " + origin + " " + b64(withHint) + "\n";
                StringBuilder hashes = new StringBuilder();
                for (byte[] h : path) {
                    hashes.append(hashes.isEmpty() ? "" : ",").append('"').append(b64(h)).append('"');
                }
                material.append(",\"inclusionProof\":{\"logIndex\":\"").append(index).append("\",\"rootHash\":\"")
                        .append(b64(root)).append("\",\"treeSize\":\"").append(leaves.size()).append("\",\"hashes\":[")
                        .append(hashes).append("],\"checkpoint\":{\"envelope\":")
                        .append(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(envelope)).append("}}");
            }
            material.append(",\"canonicalizedBody\":\"").append(b64(bodyBytes)).append("\"}");
        }
        material.append("]");
        if (s.timestampAt != null) {
            material.append(",\"timestampVerificationData\":{\"rfc3161Timestamps\":[{\"signedTimestamp\":\"")
                    .append(b64(timestamp(signature, s.timestampAt))).append("\"}]}");
        }
        material.append("}");
        String mediaType = s.minor == 3 ? SigstoreBundle.MEDIA_TYPE_V03 : SigstoreBundle.MEDIA_TYPE_PREFIX + s.minor;
        return "{\"mediaType\":\"" + mediaType + "\"," + material + "," + contentJson + "}";
    }

    static byte[] flip(byte[] b) {
        byte[] c = b.clone();
        c[c.length / 2] ^= 0x01;
        return c;
    }
}
