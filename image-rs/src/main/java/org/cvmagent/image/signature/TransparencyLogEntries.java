package org.cvmagent.image.signature;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.cvmagent.image.signature.SignatureVerificationException.Reason;

/**
 * Verifies a bundle's Rekor (v1) transparency log entry against the trusted log keys: its inclusion
 * promise (the signed entry timestamp over the RFC 8785 form of body, integrated time, log ID and
 * index), and its inclusion proof (RFC 6962 Merkle audit path up to a root hash that a checkpoint,
 * a signed note, commits to). Only a verified promise yields a trusted time: the integrated time
 * is not part of what an inclusion proof proves.
 */
final class TransparencyLogEntries {

    private TransparencyLogEntries() {}

    /**
     * @param requireProof v0.2 and later bundles must carry an inclusion proof; v0.1 a promise
     * @return the integrated time, when a verified signed entry timestamp vouches for it
     */
    static Optional<Instant> verify(SigstoreBundle.TlogEntry entry, List<TrustedRoot.LogKey> logs, boolean requireProof)
            throws SignatureVerificationException {
        Instant integrated = Instant.ofEpochSecond(entry.integratedTime());
        List<PublicKey> keys = logs.stream()
                .filter(l -> MessageDigest.isEqual(l.logId(), entry.logId()) && l.validAt(integrated))
                .map(TrustedRoot.LogKey::key).toList();
        if (keys.isEmpty()) {
            throw new SignatureVerificationException(Reason.WRONG_KEY, "transparency log entry is from log "
                    + HexFormat.of().formatHex(entry.logId()) + ", which the trusted root does not hold (or not at "
                    + integrated + ")");
        }
        if (requireProof && entry.inclusionProof().isEmpty()) {
            throw invalid("transparency log entry has no inclusion proof (required from bundle v0.2 on)");
        }
        if (!requireProof && entry.signedEntryTimestamp().isEmpty()) {
            throw invalid("transparency log entry has no inclusion promise (required in bundle v0.1)");
        }
        if (entry.inclusionProof().isPresent()) {
            verifyProof(entry, entry.inclusionProof().get(), keys);
        }
        if (entry.signedEntryTimestamp().isEmpty()) {
            return Optional.empty();
        }
        String canonical = "{\"body\":" + RekorSet.canonicalString(Base64.getEncoder().encodeToString(entry.canonicalizedBody()))
                + ",\"integratedTime\":" + entry.integratedTime()
                + ",\"logID\":" + RekorSet.canonicalString(HexFormat.of().formatHex(entry.logId()))
                + ",\"logIndex\":" + entry.logIndex() + "}";
        if (!RekorSet.signedByAny(keys, canonical.getBytes(StandardCharsets.UTF_8), entry.signedEntryTimestamp().get())) {
            throw invalid("transparency log entry's signed entry timestamp was not made by the log's key");
        }
        return Optional.of(integrated);
    }

    private static void verifyProof(SigstoreBundle.TlogEntry entry, SigstoreBundle.InclusionProof proof, List<PublicKey> keys)
            throws SignatureVerificationException {
        if (proof.logIndex() < 0 || proof.treeSize() <= proof.logIndex()) {
            throw invalid("inclusion proof index " + proof.logIndex() + " is outside the tree of size " + proof.treeSize());
        }
        byte[] leaf = hash((byte) 0, entry.canonicalizedBody(), null);
        byte[] root = rootFromPath(proof.logIndex(), proof.treeSize(), leaf, proof.hashes());
        if (!MessageDigest.isEqual(root, proof.rootHash())) {
            throw invalid("inclusion proof does not lead to the proof's root hash");
        }
        verifyCheckpoint(proof, keys);
    }

    /** RFC 9162 section 2.1.3.2: the root hash an audit path leads to from leaf {@code index}. */
    static byte[] rootFromPath(long index, long size, byte[] leafHash, List<byte[]> path) throws SignatureVerificationException {
        long fn = index;
        long sn = size - 1;
        byte[] r = leafHash;
        for (byte[] p : path) {
            if (sn == 0) {
                throw invalid("inclusion proof is longer than the tree is deep");
            }
            if ((fn & 1) == 1 || fn == sn) {
                r = hash((byte) 1, p, r);
                if ((fn & 1) == 0) {
                    while ((fn & 1) == 0 && fn != 0) {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            } else {
                r = hash((byte) 1, r, p);
            }
            fn >>= 1;
            sn >>= 1;
        }
        if (sn != 0) {
            throw invalid("inclusion proof is shorter than the tree is deep");
        }
        return r;
    }

    static byte[] hash(byte prefix, byte[] a, byte[] b) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(prefix);
            md.update(a);
            if (b != null) {
                md.update(b);
            }
            return md.digest();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JDK lacks SHA-256", e);
        }
    }

    /**
     * The checkpoint is a signed note: "origin\nsize\nbase64(root)\n[other lines]\n\n" then signature
     * lines "— name base64(4-byte key hint ‖ signature)". One signature by the log's key must verify
     * over the text before the blank line, and the note must name the proof's size and root.
     */
    private static void verifyCheckpoint(SigstoreBundle.InclusionProof proof, List<PublicKey> keys)
            throws SignatureVerificationException {
        String note = proof.checkpoint();
        int split = note.indexOf("\n\n");
        if (note.isEmpty() || split < 0) {
            throw invalid("inclusion proof has no checkpoint (signed note)");
        }
        String text = note.substring(0, split + 1);
        String[] lines = text.split("\n");
        if (lines.length < 3) {
            throw invalid("checkpoint has fewer than three lines");
        }
        long size;
        byte[] root;
        try {
            size = Long.parseLong(lines[1]);
            root = Base64.getDecoder().decode(lines[2]);
        } catch (IllegalArgumentException e) {
            throw invalid("checkpoint size or root hash is malformed");
        }
        if (size != proof.treeSize() || !Arrays.equals(root, proof.rootHash())) {
            throw invalid("checkpoint is for another tree size or root hash than the inclusion proof");
        }
        byte[] signed = text.getBytes(StandardCharsets.UTF_8);
        for (String line : note.substring(split + 2).split("\n")) {
            if (!line.startsWith("\u2014 ")) {
                continue;
            }
            int space = line.lastIndexOf(' ');
            byte[] sig;
            try {
                sig = Base64.getDecoder().decode(line.substring(space + 1));
            } catch (IllegalArgumentException e) {
                continue;
            }
            if (sig.length <= 4) {
                continue;
            }
            byte[] signature = Arrays.copyOfRange(sig, 4, sig.length);
            for (PublicKey key : keys) {
                if (verifies(key, signed, signature)) {
                    return;
                }
            }
        }
        throw invalid("checkpoint is not signed by the log's key");
    }

    static boolean verifies(PublicKey key, byte[] data, byte[] signature) {
        String algorithm = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            default -> "Ed25519";
        };
        try {
            Signature v = Signature.getInstance(algorithm);
            v.initVerify(key);
            v.update(data);
            return v.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static SignatureVerificationException invalid(String message) {
        return new SignatureVerificationException(Reason.INVALID_SIGNATURE, message);
    }
}
