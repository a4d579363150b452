package org.cvmagent.image.signature;

import java.security.GeneralSecurityException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXCertPathChecker;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** PKIX validation (no revocation: Sigstore certificates are short-lived) of a path to trusted roots at a time. */
final class CertificatePaths {

    private static final String SAN_OID = "2.5.29.17";

    private CertificatePaths() {}

    /** @param path the end certificate first, then intermediates; never the root */
    static void validate(List<X509Certificate> path, List<X509Certificate> roots, Instant at)
            throws GeneralSecurityException {
        Set<TrustAnchor> anchors = new HashSet<>();
        for (X509Certificate root : roots) {
            anchors.add(new TrustAnchor(root, null));
        }
        if (anchors.isEmpty()) {
            throw new GeneralSecurityException("no trusted root certificate");
        }
        CertPath certPath = CertificateFactory.getInstance("X.509").generateCertPath(path);
        PKIXParameters params = new PKIXParameters(anchors);
        params.setRevocationEnabled(false);
        params.setDate(Date.from(at));
        params.addCertPathChecker(new SanCriticalChecker());
        CertPathValidator.getInstance("PKIX").validate(certPath, params);
    }

    /**
     * Fulcio certificates have an empty subject, so their SAN is critical (RFC 5280); the identity
     * in it is checked by the caller itself, so the path validator may treat it as handled.
     */
    private static final class SanCriticalChecker extends PKIXCertPathChecker {
        @Override
        public void init(boolean forward) {
            // Stateless.
        }

        @Override
        public boolean isForwardCheckingSupported() {
            return true;
        }

        @Override
        public Set<String> getSupportedExtensions() {
            return Set.of(SAN_OID);
        }

        @Override
        public void check(java.security.cert.Certificate cert, Collection<String> unresolvedCritExts) {
            unresolvedCritExts.remove(SAN_OID);
        }
    }
}
