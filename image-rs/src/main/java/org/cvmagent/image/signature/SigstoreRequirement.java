package org.cvmagent.image.signature;

import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.cvmagent.image.signature.SignatureVerificationException.Reason;

/**
 * Evaluates a {@code sigstoreSigned} requirement: one attached signature must be made by a trusted
 * key — a policy key, or the key of a Fulcio certificate whose Rekor entry proves when it was used —
 * over a payload that passes every check. With a Rekor key configured, the signature's Rekor bundle
 * is required and verified too.
 */
final class SigstoreRequirement {

    private final SigstoreSignatureSource signatures;
    private final ResourceLoader resources;

    SigstoreRequirement(SigstoreSignatureSource signatures, ResourceLoader resources) {
        this.signatures = Objects.requireNonNull(signatures);
        this.resources = Objects.requireNonNull(resources);
    }

    /** What the policy trusts, loaded once per evaluation. */
    private record Trust(Optional<SigstorePublicKeys> keys, Optional<FulcioVerifier> fulcio,
            Optional<List<PublicKey>> rekorKeys, BundleVerifier.Trust bundles) {}

    /** @return how the image was accepted (the signature's format and identity) */
    String check(PolicyRequirement.SigstoreSigned requirement, DockerReference image, byte[] manifest,
            String manifestDigest) throws SignatureVerificationException {
        Trust trust = loadTrust(requirement);
        SignatureAttempts attempts = new SignatureAttempts();
        // Keyless legacy attachments need a Rekor key (the policy's, or the trusted root's logs).
        if (requirement.keys().isPresent() || trust.rekorKeys().isPresent()) {
            List<SigstoreSignature> candidates = signatures.sigstoreSignatures(image, manifestDigest);
            for (SigstoreSignature candidate : candidates) {
                try {
                    return verifyOne(candidate, trust, requirement, image, manifest);
                } catch (SignatureVerificationException e) {
                    if (e.reason() == Reason.INVALID_POLICY) {
                        throw e;
                    }
                    attempts.failed(e);
                }
            }
        }
        List<byte[]> bundles;
        try {
            bundles = signatures.sigstoreBundles(image, manifestDigest);
        } catch (SignatureVerificationException e) {
            if (e.reason() == Reason.INVALID_POLICY) {
                throw e;
            }
            // an unreadable referrers index must not hide why a legacy signature was refused
            attempts.failed(e);
            bundles = List.of();
        }
        for (byte[] json : bundles) {
            try {
                SigstoreBundle bundle = SigstoreBundle.parse(json);
                String how = BundleVerifier.verify(bundle, trust.bundles(), manifest);
                checkBundleIdentity(requirement.signedIdentity(), image);
                return how + ", for " + image.name() + " (the bundle names no reference)";
            } catch (SignatureVerificationException e) {
                if (e.reason() == Reason.INVALID_POLICY) {
                    throw e;
                }
                attempts.failed(e);
            }
        }
        throw attempts.refusal("sigstoreSigned (" + describe(requirement) + ")");
    }

    /**
     * A bundle binds a signature to the manifest digest only, never to a name. So only the
     * identities that a by-digest match of the pulled reference can satisfy are accepted:
     * matchRepoDigestOrExact and matchRepository (the signed identity is taken to be the pulled
     * repository). Policies that name a reference or repository, or remap one, need a signature
     * that names it: the legacy form.
     */
    private static void checkBundleIdentity(SignedIdentity identity, DockerReference image)
            throws SignatureVerificationException {
        if (identity instanceof SignedIdentity.MatchRepoDigestOrExact || identity instanceof SignedIdentity.MatchRepository) {
            return;
        }
        throw new SignatureVerificationException(Reason.IDENTITY_MISMATCH, "a Sigstore bundle names no docker reference, so "
                + identity.describe() + " cannot accept it for \"" + image + "\" (only matchRepoDigestOrExact and "
                + "matchRepository can)");
    }

    private static String describe(PolicyRequirement.SigstoreSigned requirement) {
        String root = requirement.trustedRoot().map(r -> ", trusted root " + r.describe()).orElse("");
        return requirement.keys().map(k -> "keys " + k.describe() + root)
                .orElseGet(() -> requirement.fulcio().orElseThrow().ca().map(ca -> "Fulcio CA " + ca.describe() + root)
                        .orElseGet(() -> root.substring(2)));
    }

    private Trust loadTrust(PolicyRequirement.SigstoreSigned requirement) throws SignatureVerificationException {
        Optional<SigstorePublicKeys> keys = Optional.empty();
        if (requirement.keys().isPresent()) {
            KeySource source = requirement.keys().get();
            keys = Optional.of(SigstorePublicKeys.parse(source.load(resources), source.describe()));
        }
        Optional<List<PublicKey>> rekorKeys = Optional.empty();
        if (requirement.rekorPublicKey().isPresent()) {
            KeySource source = requirement.rekorPublicKey().get();
            List<PublicKey> parsed = SigstorePublicKeys.parse(source.load(resources), source.describe()).keys();
            for (PublicKey k : parsed) {
                if (!k.getAlgorithm().equals("EC")) {
                    throw SignatureVerificationException.invalidPolicy("Rekor public key from " + source.describe()
                            + " is not an ECDSA key");
                }
            }
            rekorKeys = Optional.of(parsed);
        }
        Optional<TrustedRoot> root = Optional.empty();
        if (requirement.trustedRoot().isPresent()) {
            KeySource source = requirement.trustedRoot().get();
            List<byte[]> blobs = source.load(resources);
            if (blobs.size() != 1) {
                throw SignatureVerificationException.invalidPolicy("trusted root " + source.describe() + " must be one file");
            }
            root = Optional.of(TrustedRoot.parse(blobs.getFirst(), source.describe()));
        }
        Optional<FulcioVerifier> fulcio = Optional.empty();
        if (requirement.fulcio().isPresent()) {
            PolicyRequirement.FulcioConfig config = requirement.fulcio().get();
            List<X509Certificate> roots = new java.util.ArrayList<>();
            if (config.ca().isPresent()) {
                for (byte[] pem : config.ca().get().load(resources)) {
                    try {
                        roots.addAll(FulcioVerifier.parseCertificates(pem, "Fulcio CA " + config.ca().get().describe()));
                    } catch (SignatureVerificationException e) {
                        throw SignatureVerificationException.invalidPolicy(e.detail());
                    }
                }
            }
            fulcio = Optional.of(new FulcioVerifier(roots, root.map(TrustedRoot::certificateAuthorities).orElse(List.of()),
                    config.oidcIssuer(), config.subjectEmail(), config.subject().orElse(null)));
        }
        List<TrustedRoot.LogKey> logs = new java.util.ArrayList<>();
        rekorKeys.ifPresent(ks -> ks.forEach(k -> logs.add(TrustedRoot.LogKey.of(k))));
        root.ifPresent(r -> logs.addAll(r.transparencyLogs()));
        BundleVerifier.Trust bundles = new BundleVerifier.Trust(keys.map(SigstorePublicKeys::keys), fulcio, List.copyOf(logs),
                root.map(TrustedRoot::timestampAuthorities).orElse(List.of()));
        if (fulcio.isPresent() && rekorKeys.isEmpty() && root.isPresent()) {
            // keyless legacy signatures: their Rekor bundle is checked with the trusted root's (ECDSA) log keys
            List<PublicKey> logKeys = root.get().transparencyLogs().stream().map(TrustedRoot.LogKey::key)
                    .filter(k -> k.getAlgorithm().equals("EC")).toList();
            if (!logKeys.isEmpty()) {
                rekorKeys = Optional.of(logKeys);
            }
        }
        return new Trust(keys, fulcio, rekorKeys, bundles);
    }

    private static String verifyOne(SigstoreSignature candidate, Trust trust, PolicyRequirement.SigstoreSigned requirement,
            DockerReference image, byte[] manifest) throws SignatureVerificationException {
        if (!SigstoreSignature.SIMPLE_SIGNING_MEDIA_TYPE.equals(candidate.mediaType())) {
            throw invalid("sigstore signature has media type \"" + candidate.mediaType() + "\", expected \""
                    + SigstoreSignature.SIMPLE_SIGNING_MEDIA_TYPE + "\"");
        }
        byte[] signature = decodeSignature(annotation(candidate, SigstoreSignature.SIGNATURE_ANNOTATION));
        byte[] payload = candidate.payload();
        List<PublicKey> signers = signers(candidate, trust, signature, payload);
        if (!SigstorePublicKeys.of(signers).verifies(payload, signature)) {
            throw new SignatureVerificationException(Reason.WRONG_KEY, "sigstore signature was not made by any trusted key");
        }
        SigningPayload claim = SigningPayload.parse(payload, SigningPayload.COSIGN_TYPE);
        ClaimCheck.check(claim, manifest, image, requirement.signedIdentity());
        return "cosign legacy signature (.sig tag) by " + (trust.fulcio().isPresent()
                ? "Fulcio certificate for " + trust.fulcio().get().identity() : "a key of " + requirement.keys().get().describe())
                + ", identity " + claim.dockerReference();
    }

    /** The keys that may have made this signature, after the Rekor and Fulcio checks that vouch for them. */
    private static List<PublicKey> signers(SigstoreSignature candidate, Trust trust, byte[] signature, byte[] payload)
            throws SignatureVerificationException {
        if (trust.fulcio().isPresent()) {
            String bundle = annotation(candidate, SigstoreSignature.BUNDLE_ANNOTATION);
            String certificate = annotation(candidate, SigstoreSignature.CERTIFICATE_ANNOTATION);
            byte[] certificateDer = RekorSet.singlePemDer(certificate);
            var loggedAt = RekorSet.verify(trust.rekorKeys().orElseThrow(), bundle, certificateDer, signature, payload);
            return List.of(trust.fulcio().get().verify(loggedAt, certificate,
                    candidate.annotations().get(SigstoreSignature.CHAIN_ANNOTATION)));
        }
        List<PublicKey> keys = trust.keys().orElseThrow().keys();
        if (trust.rekorKeys().isEmpty()) {
            return keys;
        }
        String bundle = annotation(candidate, SigstoreSignature.BUNDLE_ANNOTATION);
        SignatureVerificationException last = null;
        for (PublicKey key : keys) {
            try {
                RekorSet.verify(trust.rekorKeys().get(), bundle, key.getEncoded(), signature, payload);
                return List.of(key);
            } catch (SignatureVerificationException e) {
                last = e;
            }
        }
        throw new SignatureVerificationException(Reason.WRONG_KEY,
                "no trusted key matches the signature's Rekor entry (" + last.getMessage() + ")");
    }

    private static String annotation(SigstoreSignature candidate, String name) throws SignatureVerificationException {
        String value = candidate.annotations().get(name);
        if (value == null) {
            throw invalid("sigstore signature has no " + name + " annotation");
        }
        return value;
    }

    private static byte[] decodeSignature(String encoded) throws SignatureVerificationException {
        try {
            return Base64.getDecoder().decode(encoded);
        } catch (IllegalArgumentException e) {
            throw invalid("sigstore signature annotation is not valid base64");
        }
    }

    private static SignatureVerificationException invalid(String message) {
        return new SignatureVerificationException(Reason.INVALID_SIGNATURE, message);
    }
}
