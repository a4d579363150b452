package org.cvmagent.image.signature;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXCertPathChecker;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1String;
import org.cvmagent.image.signature.SignatureVerificationException.Reason;

/**
 * Checks a Fulcio-issued signing certificate: it chains to the policy's CA at the time Rekor
 * logged the signature, is for code signing, and names the policy's OIDC issuer and e-mail subject.
 * Returns the certificate's public key, which must then verify the payload signature.
 */
final class FulcioVerifier {

    /** Fulcio's OIDC issuer extensions: v1 holds the raw string, v2 a DER UTF8String. */
    static final String ISSUER_V1_OID = "1.3.6.1.4.1.57264.1.1";
    static final String ISSUER_V2_OID = "1.3.6.1.4.1.57264.1.8";
    private static final String CODE_SIGNING_EKU = "1.3.6.1.5.5.7.3.3";
    private static final int SAN_RFC822_NAME = 1;
    private static final int SAN_URI = 6;

    private final List<X509Certificate> roots;
    private final List<TrustedRoot.Authority> authorities;
    private final String oidcIssuer;
    private final String subjectEmail;
    private final String subject;

    FulcioVerifier(List<X509Certificate> roots, String oidcIssuer, String subjectEmail) {
        this(roots, List.of(), oidcIssuer, subjectEmail);
    }

    FulcioVerifier(List<X509Certificate> roots, List<TrustedRoot.Authority> authorities, String oidcIssuer,
            String subjectEmail) {
        this(roots, authorities, oidcIssuer, subjectEmail, null);
    }

    /**
     * @param authorities the Fulcio CAs of a trusted root, besides the policy's {@code roots}
     * @param subjectEmail the e-mail SAN required, or null when {@code subject} is given
     * @param subject an e-mail or URI SAN required (ours), or null
     */
    FulcioVerifier(List<X509Certificate> roots, List<TrustedRoot.Authority> authorities, String oidcIssuer,
            String subjectEmail, String subject) {
        if ((subjectEmail == null) == (subject == null)) {
            throw new IllegalArgumentException("exactly one of subjectEmail and subject");
        }
        this.roots = List.copyOf(roots);
        this.authorities = List.copyOf(authorities);
        this.oidcIssuer = oidcIssuer;
        this.subjectEmail = subjectEmail;
        this.subject = subject;
    }

    static List<X509Certificate> parseCertificates(byte[] pem, String source) throws SignatureVerificationException {
        try {
            Collection<? extends java.security.cert.Certificate> certs =
                    CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem));
            List<X509Certificate> out = new ArrayList<>();
            for (java.security.cert.Certificate c : certs) {
                out.add((X509Certificate) c);
            }
            if (out.isEmpty()) {
                throw new SignatureVerificationException(Reason.INVALID_SIGNATURE, "no certificate in " + source);
            }
            return out;
        } catch (GeneralSecurityException e) {
            throw new SignatureVerificationException(Reason.INVALID_SIGNATURE,
                    source + " is not a valid PEM certificate list: " + e.getMessage());
        }
    }

    PublicKey verify(Instant at, String leafPem, String chainPem) throws SignatureVerificationException {
        List<X509Certificate> leafs = parseCertificates(leafPem.getBytes(StandardCharsets.US_ASCII), "signing certificate");
        if (leafs.size() != 1) {
            throw invalid("signature carries " + leafs.size() + " certificates where one is expected");
        }
        X509Certificate leaf = leafs.getFirst();
        List<X509Certificate> path = new ArrayList<>();
        path.add(leaf);
        if (chainPem != null && !chainPem.isBlank()) {
            List<X509Certificate> chain = parseCertificates(chainPem.getBytes(StandardCharsets.US_ASCII), "certificate chain");
            // The chain ends with the root, which must come from the policy, never from the signature.
            path.addAll(chain.subList(0, chain.size() - 1));
        }
        validatePath(path, at);
        checkIdentity(leaf);
        return leaf.getPublicKey();
    }

    private void validatePath(List<X509Certificate> path, Instant at) throws SignatureVerificationException {
        List<X509Certificate> anchors = new ArrayList<>(roots);
        for (TrustedRoot.Authority ca : authorities) {
            if (ca.validAt(at)) {
                anchors.add(ca.root());
            }
        }
        try {
            CertificatePaths.validate(path, anchors, at);
        } catch (GeneralSecurityException e) {
            throw new SignatureVerificationException(Reason.WRONG_KEY,
                    "signing certificate does not chain to the Fulcio CA at " + at + ": " + e.getMessage());
        }
    }

    /**
     * A bundle's signing certificate: it must chain to a trusted CA (a policy CA, or a trusted root's
     * CA valid then, through that CA's own intermediates or those the bundle carries) at every one of
     * {@code times}, be for code signing and name the policy's issuer and e-mail.
     */
    PublicKey verifyLeaf(List<Instant> times, X509Certificate leaf, List<X509Certificate> bundleChain)
            throws SignatureVerificationException {
        if (times.isEmpty()) {
            throw new SignatureVerificationException(Reason.WRONG_KEY, "the bundle's certificate cannot be checked: "
                    + "no verified transparency log time or signed timestamp says when it signed");
        }
        for (Instant at : times) {
            List<List<X509Certificate>> paths = new ArrayList<>();
            List<X509Certificate> carried = new ArrayList<>(List.of(leaf));
            for (X509Certificate c : bundleChain) {
                // a root the bundle carries proves nothing: roots come from the policy
                if (!c.getSubjectX500Principal().equals(c.getIssuerX500Principal())) {
                    carried.add(c);
                }
            }
            paths.add(carried);
            for (TrustedRoot.Authority ca : authorities) {
                if (ca.validAt(at)) {
                    List<X509Certificate> p = new ArrayList<>(List.of(leaf));
                    p.addAll(ca.chain().subList(0, ca.chain().size() - 1));
                    paths.add(p);
                }
            }
            SignatureVerificationException last = null;
            boolean ok = false;
            for (List<X509Certificate> path : paths) {
                try {
                    validatePath(path, at);
                    ok = true;
                    break;
                } catch (SignatureVerificationException e) {
                    last = e;
                }
            }
            if (!ok) {
                throw last;
            }
        }
        checkIdentity(leaf);
        return leaf.getPublicKey();
    }

    private void checkIdentity(X509Certificate leaf) throws SignatureVerificationException {
        try {
            List<String> eku = leaf.getExtendedKeyUsage();
            if (eku == null || !eku.contains(CODE_SIGNING_EKU)) {
                throw invalid("signing certificate is not for code signing");
            }
        } catch (java.security.cert.CertificateParsingException e) {
            throw invalid("signing certificate has a malformed extended key usage");
        }
        String issuer = issuerOf(leaf);
        if (!issuer.equals(oidcIssuer)) {
            throw new SignatureVerificationException(Reason.IDENTITY_MISMATCH,
                    "signing certificate was issued for OIDC issuer \"" + issuer + "\", not \"" + oidcIssuer + "\"");
        }
        if (subjectEmail != null && !namesOf(leaf, SAN_RFC822_NAME).contains(subjectEmail)) {
            throw new SignatureVerificationException(Reason.IDENTITY_MISMATCH,
                    "signing certificate does not name the required subject e-mail");
        }
        if (subject != null && !namesOf(leaf, SAN_RFC822_NAME).contains(subject)
                && !namesOf(leaf, SAN_URI).contains(subject)) {
            throw new SignatureVerificationException(Reason.IDENTITY_MISMATCH,
                    "signing certificate does not name the required subject (e-mail or URI)");
        }
    }

    String identity() {
        return (subjectEmail != null ? subjectEmail : subject) + " (OIDC issuer " + oidcIssuer + ")";
    }

    private static String issuerOf(X509Certificate cert) throws SignatureVerificationException {
        String v1 = null;
        String v2 = null;
        try {
            byte[] raw1 = cert.getExtensionValue(ISSUER_V1_OID);
            if (raw1 != null) {
                v1 = new String(ASN1OctetString.getInstance(raw1).getOctets(), StandardCharsets.UTF_8);
            }
            byte[] raw2 = cert.getExtensionValue(ISSUER_V2_OID);
            if (raw2 != null) {
                ASN1Primitive inner = ASN1Primitive.fromByteArray(ASN1OctetString.getInstance(raw2).getOctets());
                if (!(inner instanceof ASN1String s)) {
                    throw invalid("Fulcio OIDC issuer v2 extension is not a string");
                }
                v2 = s.getString();
            }
        } catch (IOException | IllegalArgumentException e) {
            throw invalid("malformed Fulcio OIDC issuer extension");
        }
        if (v1 != null && v2 != null && !v1.equals(v2)) {
            throw invalid("Fulcio OIDC issuer extensions disagree");
        }
        String issuer = v1 != null ? v1 : v2;
        if (issuer == null) {
            throw invalid("signing certificate has no Fulcio OIDC issuer extension");
        }
        return issuer;
    }

    private static List<String> namesOf(X509Certificate cert, int type) throws SignatureVerificationException {
        List<String> out = new ArrayList<>();
        try {
            Collection<List<?>> names = cert.getSubjectAlternativeNames();
            if (names != null) {
                for (List<?> name : names) {
                    if (name.size() >= 2 && Integer.valueOf(type).equals(name.get(0))) {
                        out.add(String.valueOf(name.get(1)));
                    }
                }
            }
        } catch (java.security.cert.CertificateParsingException e) {
            throw invalid("malformed subject alternative names");
        }
        return out;
    }

    private static SignatureVerificationException invalid(String message) {
        return new SignatureVerificationException(Reason.INVALID_SIGNATURE, message);
    }
}
