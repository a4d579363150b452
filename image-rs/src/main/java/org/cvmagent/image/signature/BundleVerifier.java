package org.cvmagent.image.signature;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.cvmagent.image.signature.SignatureVerificationException.Reason;

/**
 * Verifies a cosign v3 Sigstore bundle (v0.1–v0.3) attached to an image against a
 * {@code sigstoreSigned} requirement's trust, written from protobuf-specs' bundle definition and
 * cosign's BUNDLE_SPEC.md (not with sigstore-java: its 1.x verifier is keyless-only, so it cannot
 * check a bundle against a policy's public key, it insists on SCTs and a TUF-shaped trusted root,
 * and it would bring its own HTTP, gRPC and protobuf dependencies into the guest).
 *
 * <ul>
 *   <li>the content: a message signature whose digest is the SHA-256 of the image manifest, or a
 *       DSSE envelope holding an in-toto statement with cosign's signing predicate
 *       ({@value #COSIGN_SIGN_PREDICATE}) whose subject digest is the manifest's;
 *   <li>the signer: one of the policy's public keys, or the bundle's Fulcio certificate, which must
 *       chain to a trusted CA at each verified time and name the policy's OIDC issuer and e-mail;
 *   <li>times: a Rekor entry's integrated time when its signed entry timestamp verifies, and the
 *       time of each RFC 3161 timestamp a trusted TSA signed; a keyless bundle without one is refused;
 *   <li>every transparency log entry must name this signature and key or certificate, come from a
 *       trusted log, and carry what its bundle version requires (v0.1: a promise; later: an
 *       inclusion proof with a signed checkpoint), each verified.
 * </ul>
 */
final class BundleVerifier {

    static final String IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";
    static final String COSIGN_SIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1";
    private static final List<String> STATEMENT_TYPES =
            List.of("https://in-toto.io/Statement/v1", "https://in-toto.io/Statement/v0.1");
    private static final byte[] SHA256_DIGEST_INFO = HexFormat.of().parseHex("3031300d060960864801650304020105000420");

    /** What a requirement trusts for bundles. */
    record Trust(Optional<List<PublicKey>> keys, Optional<FulcioVerifier> fulcio, List<TrustedRoot.LogKey> logs,
            List<TrustedRoot.Authority> timestampAuthorities) {}

    private BundleVerifier() {}

    /** @return how the bundle was accepted, for logs and the pull command */
    static String verify(SigstoreBundle bundle, Trust trust, byte[] manifest) throws SignatureVerificationException {
        byte[] manifestSha256 = sha256(manifest);
        byte[] signature;
        String contentName;
        if (bundle.content() instanceof SigstoreBundle.MessageSignature ms) {
            signature = ms.signature();
            contentName = "message signature";
        } else {
            signature = ((SigstoreBundle.DsseEnvelope) bundle.content()).signature();
            contentName = "DSSE";
        }

        PublicKey signer;
        byte[] signerDer;
        String who;
        if (trust.fulcio().isPresent()) {
            if (bundle.certificates().isEmpty()) {
                throw new SignatureVerificationException(Reason.WRONG_KEY,
                        "bundle is signed by a public key, the policy requires a Fulcio certificate");
            }
            X509Certificate leaf = bundle.certificates().getFirst();
            if (!signatureVerifies(leaf.getPublicKey(), bundle.content(), manifest)) {
                throw new SignatureVerificationException(Reason.INVALID_SIGNATURE,
                        "bundle signature does not verify with the bundle's certificate");
            }
            signer = leaf.getPublicKey();
            try {
                signerDer = leaf.getEncoded();
            } catch (CertificateEncodingException e) {
                throw new SignatureVerificationException(Reason.INVALID_SIGNATURE, "bundle certificate cannot be encoded");
            }
            who = "Fulcio certificate for " + trust.fulcio().get().identity();
        } else {
            signer = null;
            for (PublicKey key : trust.keys().orElseThrow()) {
                if (signatureVerifies(key, bundle.content(), manifest)) {
                    signer = key;
                    break;
                }
            }
            if (signer == null) {
                throw new SignatureVerificationException(Reason.WRONG_KEY, "bundle signature was not made by any trusted key");
            }
            signerDer = signer.getEncoded();
            who = "public key " + HexFormat.of().formatHex(TrustedRoot.keyId(signer)).substring(0, 16);
        }

        List<Instant> times = new ArrayList<>();
        List<String> evidence = new ArrayList<>();
        if (!trust.logs().isEmpty()) {
            if (bundle.tlogEntries().isEmpty()) {
                throw new SignatureVerificationException(Reason.WRONG_KEY,
                        "bundle has no transparency log entry, which the trusted Rekor key requires");
            }
            for (SigstoreBundle.TlogEntry entry : bundle.tlogEntries()) {
                checkBody(entry, bundle.content(), signature, signerDer);
                Optional<Instant> t = TransparencyLogEntries.verify(entry, trust.logs(), bundle.minorVersion() >= 2);
                t.ifPresent(times::add);
                evidence.add("Rekor entry " + entry.logIndex() + (t.isPresent() ? " at " + t.get() : ""));
            }
        }
        if (!trust.timestampAuthorities().isEmpty()) {
            for (byte[] ts : bundle.rfc3161Timestamps()) {
                Instant t = SignedTimestamps.verify(ts, signature, trust.timestampAuthorities());
                times.add(t);
                evidence.add("signed timestamp " + t);
            }
        }
        if (trust.fulcio().isPresent()) {
            List<X509Certificate> chain = bundle.certificates().subList(1, bundle.certificates().size());
            trust.fulcio().get().verifyLeaf(times, bundle.certificates().getFirst(), chain);
        }

        checkClaims(bundle.content(), manifestSha256);
        return "cosign bundle v0." + bundle.minorVersion() + " (" + contentName + ") by " + who
                + (evidence.isEmpty() ? "" : ", " + String.join(", ", evidence));
    }

    /** What the signed content claims: that it is about this manifest. */
    private static void checkClaims(SigstoreBundle.Content content, byte[] manifestSha256)
            throws SignatureVerificationException {
        if (content instanceof SigstoreBundle.MessageSignature ms) {
            if (!MessageDigest.isEqual(ms.digest(), manifestSha256)) {
                throw new SignatureVerificationException(Reason.DIGEST_MISMATCH, "bundle signs sha256:"
                        + HexFormat.of().formatHex(ms.digest()) + ", not the pulled manifest");
            }
            return;
        }
        SigstoreBundle.DsseEnvelope dsse = (SigstoreBundle.DsseEnvelope) content;
        if (!IN_TOTO_PAYLOAD_TYPE.equals(dsse.payloadType())) {
            throw invalid("DSSE payload type \"" + dsse.payloadType() + "\" is not an in-toto statement");
        }
        ProtoJson p = new ProtoJson(Reason.INVALID_SIGNATURE, "in-toto statement");
        JsonNode statement = p.parse(dsse.payload());
        String type = p.string(statement, "_type");
        if (!STATEMENT_TYPES.contains(type)) {
            throw invalid("in-toto statement type \"" + type + "\" is not supported");
        }
        String predicate = p.string(statement, "predicateType");
        if (!COSIGN_SIGN_PREDICATE.equals(predicate)) {
            // an attestation (provenance, SBOM, ...) about the image is not its signature
            throw invalid("in-toto statement has predicate type \"" + predicate + "\", not cosign's signature predicate "
                    + COSIGN_SIGN_PREDICATE);
        }
        String wanted = HexFormat.of().formatHex(manifestSha256);
        List<String> named = new ArrayList<>();
        for (JsonNode subject : p.array(statement, "subject", 256)) {
            JsonNode digest = subject.path("digest").path("sha256");
            if (digest.isTextual()) {
                named.add(digest.asText());
                if (digest.asText().equalsIgnoreCase(wanted)) {
                    return;
                }
            }
        }
        throw new SignatureVerificationException(Reason.DIGEST_MISMATCH,
                "in-toto statement's subjects " + named + " do not include the pulled manifest sha256:" + wanted);
    }

    /** The log entry must record this very signature, by this key or certificate, over this content. */
    private static void checkBody(SigstoreBundle.TlogEntry entry, SigstoreBundle.Content content, byte[] signature,
            byte[] signerDer) throws SignatureVerificationException {
        ProtoJson p = new ProtoJson(Reason.INVALID_SIGNATURE, "transparency log entry body");
        JsonNode body = p.parse(entry.canonicalizedBody());
        String kind = p.string(body, "kind");
        String apiVersion = p.string(body, "apiVersion");
        if (!kind.equals(entry.kind()) || !apiVersion.equals(entry.kindVersion())) {
            throw invalid("transparency log entry body is a " + kind + " " + apiVersion + ", the bundle says "
                    + entry.kind() + " " + entry.kindVersion());
        }
        JsonNode spec = p.object(body, "spec");
        if (content instanceof SigstoreBundle.MessageSignature ms && kind.equals("hashedrekord") && apiVersion.equals("0.0.1")) {
            JsonNode sig = p.object(spec, "signature");
            if (!Arrays.equals(p.bytes(sig, "content"), signature)) {
                throw invalid("transparency log entry holds another signature");
            }
            samePem(p.bytes(p.object(sig, "publicKey"), "content"), signerDer);
            JsonNode hash = p.object(p.object(spec, "data"), "hash");
            if (!"sha256".equals(p.string(hash, "algorithm"))
                    || !p.string(hash, "value").equalsIgnoreCase(HexFormat.of().formatHex(ms.digest()))) {
                throw invalid("transparency log entry is for another artifact digest");
            }
            return;
        }
        if (content instanceof SigstoreBundle.DsseEnvelope dsse && kind.equals("dsse") && apiVersion.equals("0.0.1")) {
            JsonNode payloadHash = p.object(spec, "payloadHash");
            if (!"sha256".equals(p.string(payloadHash, "algorithm"))
                    || !p.string(payloadHash, "value").equalsIgnoreCase(HexFormat.of().formatHex(sha256(dsse.payload())))) {
                throw invalid("transparency log entry is for another DSSE payload");
            }
            for (JsonNode s : p.array(spec, "signatures", 8)) {
                if (Arrays.equals(p.bytes(s, "signature"), signature)) {
                    samePem(p.bytes(s, "verifier"), signerDer);
                    return;
                }
            }
            throw invalid("transparency log entry holds another DSSE signature");
        }
        throw invalid("transparency log entry kind " + kind + " " + apiVersion + " is not supported for a "
                + (content instanceof SigstoreBundle.MessageSignature ? "message signature" : "DSSE envelope")
                + " (hashedrekord 0.0.1 and dsse 0.0.1 are)");
    }

    private static void samePem(byte[] pem, byte[] der) throws SignatureVerificationException {
        byte[] logged = RekorSet.singlePemDer(new String(pem, StandardCharsets.US_ASCII));
        if (!MessageDigest.isEqual(logged, der)) {
            throw invalid("transparency log entry names another key or certificate");
        }
    }

    private static boolean signatureVerifies(PublicKey key, SigstoreBundle.Content content, byte[] manifest) {
        if (content instanceof SigstoreBundle.DsseEnvelope dsse) {
            return TransparencyLogEntries.verifies(key, pae(dsse.payloadType(), dsse.payload()), dsse.signature());
        }
        SigstoreBundle.MessageSignature ms = (SigstoreBundle.MessageSignature) content;
        try {
            // The signature is over the artifact; checked against the digest the bundle names, so
            // that a trusted signature over another manifest is reported as such.
            switch (key.getAlgorithm()) {
                case "EC" -> {
                    Signature v = Signature.getInstance("NONEwithECDSA");
                    v.initVerify(key);
                    v.update(ms.digest());
                    return v.verify(ms.signature());
                }
                case "RSA" -> {
                    Signature v = Signature.getInstance("NONEwithRSA");
                    v.initVerify(key);
                    v.update(SHA256_DIGEST_INFO);
                    v.update(ms.digest());
                    return v.verify(ms.signature());
                }
                default -> {
                    // Ed25519 signs the message itself, which only the manifest can be.
                    return TransparencyLogEntries.verifies(key, manifest, ms.signature());
                }
            }
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** DSSE's pre-authentication encoding: "DSSEv1 len(type) type len(body) body". */
    static byte[] pae(String payloadType, byte[] payload) {
        byte[] type = payloadType.getBytes(StandardCharsets.UTF_8);
        byte[] head = ("DSSEv1 " + type.length + " " + payloadType + " " + payload.length + " ").getBytes(StandardCharsets.UTF_8);
        byte[] out = Arrays.copyOf(head, head.length + payload.length);
        System.arraycopy(payload, 0, out, head.length, payload.length);
        return out;
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JDK lacks SHA-256", e);
        }
    }

    private static SignatureVerificationException invalid(String message) {
        return new SignatureVerificationException(Reason.INVALID_SIGNATURE, message);
    }

    static String base64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }
}
