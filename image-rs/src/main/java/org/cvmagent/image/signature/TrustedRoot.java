package org.cvmagent.image.signature;

import com.fasterxml.jackson.databind.JsonNode;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.cvmagent.image.signature.SignatureVerificationException.Reason;

/**
 * A Sigstore trusted root ({@code trusted_root.json}, protobuf-specs' {@code TrustedRoot}) that the
 * image owner supplies through the policy: Fulcio certificate authorities, Rekor (transparency log)
 * keys and RFC 3161 timestamp authorities, each valid for a time range. Certificate transparency
 * logs are read past: SCTs are not checked. Nothing is ever fetched through TUF.
 */
record TrustedRoot(List<Authority> certificateAuthorities, List<LogKey> transparencyLogs,
        List<Authority> timestampAuthorities) {

    /** A CA or TSA: its chain, issuing certificate first and root last, and when it may be used. */
    record Authority(List<X509Certificate> chain, Optional<Instant> start, Optional<Instant> end) {
        boolean validAt(Instant t) {
            return start.map(s -> !t.isBefore(s)).orElse(true) && end.map(e -> !t.isAfter(e)).orElse(true);
        }

        X509Certificate root() {
            return chain.getLast();
        }
    }

    /** A transparency log's key, named by its log ID (SHA-256 of the key's DER). */
    record LogKey(byte[] logId, PublicKey key, Optional<Instant> start, Optional<Instant> end) {
        static LogKey of(PublicKey key) {
            return new LogKey(keyId(key), key, Optional.empty(), Optional.empty());
        }

        boolean validAt(Instant t) {
            return start.map(s -> !t.isBefore(s)).orElse(true) && end.map(e -> !t.isAfter(e)).orElse(true);
        }
    }

    static final int MAX_ENTRIES = 64;

    static byte[] keyId(PublicKey key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JDK lacks SHA-256", e);
        }
    }

    static TrustedRoot parse(byte[] json, String source) throws SignatureVerificationException {
        ProtoJson p = new ProtoJson(Reason.INVALID_POLICY, "trusted root " + source);
        JsonNode root = p.parse(json);
        String mediaType = p.optionalString(root, "mediaType").orElse("");
        if (!mediaType.startsWith("application/vnd.dev.sigstore.trustedroot")) {
            throw p.fail("has media type \"" + mediaType + "\", not a Sigstore trusted root");
        }
        List<Authority> cas = new ArrayList<>();
        for (JsonNode ca : p.array(root, "certificateAuthorities", MAX_ENTRIES)) {
            cas.add(authority(p, ca));
        }
        List<Authority> tsas = new ArrayList<>();
        for (JsonNode tsa : p.array(root, "timestampAuthorities", MAX_ENTRIES)) {
            tsas.add(authority(p, tsa));
        }
        List<LogKey> logs = new ArrayList<>();
        for (JsonNode log : p.array(root, "tlogs", MAX_ENTRIES)) {
            JsonNode publicKey = p.object(log, "publicKey");
            byte[] der = p.bytes(publicKey, "rawBytes");
            PublicKey key = publicKey(p, der, p.optionalString(publicKey, "keyDetails").orElse(""));
            byte[] logId = p.optionalObject(log, "logId").isPresent()
                    ? p.bytes(p.object(log, "logId"), "keyId") : keyId(key);
            Optional<JsonNode> valid = p.optionalObject(publicKey, "validFor");
            logs.add(new LogKey(logId, key, valid.isPresent() ? p.optionalTime(valid.get(), "start") : Optional.empty(),
                    valid.isPresent() ? p.optionalTime(valid.get(), "end") : Optional.empty()));
        }
        return new TrustedRoot(List.copyOf(cas), List.copyOf(logs), List.copyOf(tsas));
    }

    private static Authority authority(ProtoJson p, JsonNode node) throws SignatureVerificationException {
        List<X509Certificate> chain = new ArrayList<>();
        for (JsonNode cert : p.array(p.object(node, "certChain"), "certificates", 8)) {
            chain.add(certificate(p.bytes(cert, "rawBytes"), p));
        }
        if (chain.isEmpty()) {
            throw p.fail("has an authority without certificates");
        }
        Optional<JsonNode> valid = p.optionalObject(node, "validFor");
        return new Authority(List.copyOf(chain), valid.isPresent() ? p.optionalTime(valid.get(), "start") : Optional.empty(),
                valid.isPresent() ? p.optionalTime(valid.get(), "end") : Optional.empty());
    }

    static X509Certificate certificate(byte[] der, ProtoJson p) throws SignatureVerificationException {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new java.io.ByteArrayInputStream(der));
        } catch (GeneralSecurityException | ClassCastException e) {
            throw p.fail("holds a certificate that is not valid DER: " + e.getMessage());
        }
    }

    private static PublicKey publicKey(ProtoJson p, byte[] der, String details) throws SignatureVerificationException {
        for (String algorithm : details.contains("ED25519") ? List.of("Ed25519") : List.of("EC", "RSA", "Ed25519")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // try the next algorithm
            }
        }
        throw p.fail("holds a log key that is not a PKIX EC, RSA or Ed25519 key");
    }
}
