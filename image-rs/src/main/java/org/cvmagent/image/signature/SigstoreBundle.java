package org.cvmagent.image.signature;

import com.fasterxml.jackson.databind.JsonNode;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.cvmagent.image.signature.SignatureVerificationException.Reason;

/**
 * A Sigstore bundle (protobuf-specs' {@code dev.sigstore.bundle.v1.Bundle}, JSON form) as cosign v3
 * attaches it to an image: the signed content (a message signature or a DSSE envelope) and its
 * verification material (a public key hint, or a Fulcio certificate or chain; transparency log
 * entries; RFC 3161 timestamps). Only parsed here: {@link BundleVerifier} decides.
 *
 * @param minorVersion 1, 2 or 3 (bundle v0.1, v0.2, v0.3)
 * @param certificates the signing certificate first, then any chain the bundle carries; empty for a key
 */
record SigstoreBundle(int minorVersion, String mediaType, List<X509Certificate> certificates, List<TlogEntry> tlogEntries,
        List<byte[]> rfc3161Timestamps, Content content) {

    static final String MEDIA_TYPE_V03 = "application/vnd.dev.sigstore.bundle.v0.3+json";
    static final String MEDIA_TYPE_PREFIX = "application/vnd.dev.sigstore.bundle+json;version=0.";
    static final int MAX_BYTES = 1 << 20;

    sealed interface Content permits MessageSignature, DsseEnvelope {}

    /** A signature over an artifact, given with the artifact's SHA-256 digest. */
    record MessageSignature(byte[] digest, byte[] signature) implements Content {}

    /** A DSSE envelope: {@code payload} of {@code payloadType}, signed (through DSSE's PAE) by {@code signature}. */
    record DsseEnvelope(String payloadType, byte[] payload, byte[] signature) implements Content {}

    /** A Rekor v1 inclusion proof and the checkpoint (signed note) that commits to its root. */
    record InclusionProof(long logIndex, long treeSize, byte[] rootHash, List<byte[]> hashes, String checkpoint) {}

    record TlogEntry(long logIndex, byte[] logId, String kind, String kindVersion, long integratedTime,
            byte[] canonicalizedBody, Optional<byte[]> signedEntryTimestamp, Optional<InclusionProof> inclusionProof) {}

    /** The bundle's minor version, or empty when {@code mediaType} is not a bundle media type. */
    static Optional<Integer> version(String mediaType) {
        if (mediaType == null) {
            return Optional.empty();
        }
        return switch (mediaType) {
            case MEDIA_TYPE_PREFIX + "1" -> Optional.of(1);
            case MEDIA_TYPE_PREFIX + "2" -> Optional.of(2);
            case MEDIA_TYPE_PREFIX + "3", MEDIA_TYPE_V03 -> Optional.of(3);
            default -> Optional.empty();
        };
    }

    static boolean isBundleMediaType(String mediaType) {
        return version(mediaType).isPresent();
    }

    static SigstoreBundle parse(byte[] json) throws SignatureVerificationException {
        ProtoJson p = new ProtoJson(Reason.INVALID_SIGNATURE, "Sigstore bundle");
        if (json.length > MAX_BYTES) {
            throw p.fail("is larger than " + MAX_BYTES + " bytes");
        }
        JsonNode root = p.parse(json);
        String mediaType = p.string(root, "mediaType");
        int minor = version(mediaType).orElseThrow(() -> p.fail("has unsupported media type \"" + mediaType + "\""));
        JsonNode material = p.object(root, "verificationMaterial");

        List<X509Certificate> certs = new ArrayList<>();
        Optional<JsonNode> certificate = p.optionalObject(material, "certificate");
        Optional<JsonNode> chain = p.optionalObject(material, "x509CertificateChain");
        Optional<JsonNode> publicKey = p.optionalObject(material, "publicKey");
        int forms = (certificate.isPresent() ? 1 : 0) + (chain.isPresent() ? 1 : 0) + (publicKey.isPresent() ? 1 : 0);
        if (forms != 1) {
            throw p.fail("verification material must hold exactly one of certificate, x509CertificateChain, publicKey");
        }
        if (certificate.isPresent()) {
            if (minor < 3) {
                throw p.fail("v0." + minor + " cannot hold a single certificate (v0.3 and later)");
            }
            certs.add(TrustedRoot.certificate(p.bytes(certificate.get(), "rawBytes"), p));
        }
        if (chain.isPresent()) {
            for (JsonNode c : p.array(chain.get(), "certificates", 8)) {
                certs.add(TrustedRoot.certificate(p.bytes(c, "rawBytes"), p));
            }
            if (certs.isEmpty()) {
                throw p.fail("has an empty certificate chain");
            }
        }

        List<TlogEntry> entries = new ArrayList<>();
        for (JsonNode e : p.array(material, "tlogEntries", 8)) {
            entries.add(entry(p, e));
        }
        List<byte[]> timestamps = new ArrayList<>();
        Optional<JsonNode> tsData = p.optionalObject(material, "timestampVerificationData");
        if (tsData.isPresent()) {
            for (JsonNode t : p.array(tsData.get(), "rfc3161Timestamps", 8)) {
                timestamps.add(p.bytes(t, "signedTimestamp"));
            }
        }

        Optional<JsonNode> message = p.optionalObject(root, "messageSignature");
        Optional<JsonNode> dsse = p.optionalObject(root, "dsseEnvelope");
        if (message.isPresent() == dsse.isPresent()) {
            throw p.fail("must hold exactly one of messageSignature and dsseEnvelope");
        }
        Content content;
        if (message.isPresent()) {
            JsonNode digest = p.object(message.get(), "messageDigest");
            String algorithm = p.string(digest, "algorithm");
            if (!algorithm.equals("SHA2_256")) {
                throw p.fail("message digest algorithm " + algorithm + " is not supported (SHA2_256 only)");
            }
            byte[] d = p.bytes(digest, "digest");
            if (d.length != 32) {
                throw p.fail("message digest is not 32 bytes long");
            }
            content = new MessageSignature(d, p.bytes(message.get(), "signature"));
        } else {
            JsonNode env = dsse.get();
            List<JsonNode> signatures = p.array(env, "signatures", 8);
            if (signatures.size() != 1) {
                throw p.fail("DSSE envelope must hold exactly one signature, has " + signatures.size());
            }
            content = new DsseEnvelope(p.string(env, "payloadType"), p.bytes(env, "payload"),
                    p.bytes(signatures.getFirst(), "sig"));
        }
        return new SigstoreBundle(minor, mediaType, List.copyOf(certs), List.copyOf(entries), List.copyOf(timestamps), content);
    }

    private static TlogEntry entry(ProtoJson p, JsonNode e) throws SignatureVerificationException {
        JsonNode kv = p.object(e, "kindVersion");
        Optional<byte[]> set = Optional.empty();
        Optional<JsonNode> promise = p.optionalObject(e, "inclusionPromise");
        if (promise.isPresent()) {
            set = Optional.of(p.bytes(promise.get(), "signedEntryTimestamp"));
        }
        Optional<InclusionProof> proof = Optional.empty();
        Optional<JsonNode> pr = p.optionalObject(e, "inclusionProof");
        if (pr.isPresent()) {
            List<byte[]> hashes = new ArrayList<>();
            for (JsonNode h : p.array(pr.get(), "hashes", 64)) {
                if (!h.isTextual()) {
                    throw p.fail("inclusion proof hash is not a string");
                }
                try {
                    hashes.add(java.util.Base64.getDecoder().decode(h.asText().replace('-', '+').replace('_', '/')));
                } catch (IllegalArgumentException ex) {
                    throw p.fail("inclusion proof hash is not base64");
                }
            }
            Optional<JsonNode> checkpoint = p.optionalObject(pr.get(), "checkpoint");
            proof = Optional.of(new InclusionProof(p.int64(pr.get(), "logIndex"), p.int64(pr.get(), "treeSize"),
                    p.bytes(pr.get(), "rootHash"), List.copyOf(hashes),
                    checkpoint.isPresent() ? p.string(checkpoint.get(), "envelope") : ""));
        }
        return new TlogEntry(p.int64(e, "logIndex"), p.bytes(p.object(e, "logId"), "keyId"), p.string(kv, "kind"),
                p.string(kv, "version"), p.int64(e, "integratedTime"), p.bytes(e, "canonicalizedBody"), set, proof);
    }
}
