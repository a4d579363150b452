package org.cvmagent.image.signature;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.cms.SignerInformationVerifier;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.tsp.TSPException;
import org.bouncycastle.tsp.TimeStampResponse;
import org.bouncycastle.tsp.TimeStampToken;
import org.cvmagent.image.signature.SignatureVerificationException.Reason;

/**
 * RFC 3161 signed timestamps of a bundle: a DER TimeStampResponse whose token a trusted timestamp
 * authority signed (its chain, from the trusted root, valid at the token's time) over the SHA-256 of
 * the bundle's signature. Yields the time the signature is proven to have existed at.
 */
final class SignedTimestamps {

    private SignedTimestamps() {}

    static Instant verify(byte[] der, byte[] signature, List<TrustedRoot.Authority> tsas)
            throws SignatureVerificationException {
        TimeStampToken token;
        try {
            TimeStampResponse response = new TimeStampResponse(der);
            token = response.getTimeStampToken();
        } catch (TSPException | IOException | RuntimeException e) {
            throw invalid("signed timestamp is not a DER RFC 3161 response: " + e.getMessage());
        }
        if (token == null) {
            throw invalid("signed timestamp response holds no token");
        }
        var info = token.getTimeStampInfo();
        if (!info.getMessageImprintAlgOID().equals(NISTObjectIdentifiers.id_sha256)) {
            throw invalid("signed timestamp's message imprint is not SHA-256");
        }
        byte[] expected;
        try {
            expected = MessageDigest.getInstance("SHA-256").digest(signature);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JDK lacks SHA-256", e);
        }
        if (!MessageDigest.isEqual(expected, info.getMessageImprintDigest())) {
            throw invalid("signed timestamp is over another signature");
        }
        Instant time = info.getGenTime().toInstant();
        String last = "no timestamp authority in the trusted root";
        for (TrustedRoot.Authority tsa : tsas) {
            if (!tsa.validAt(time)) {
                last = "timestamp authority not valid at " + time;
                continue;
            }
            X509Certificate signer = tsa.chain().getFirst();
            try {
                SignerInformationVerifier verifier = new JcaSimpleSignerInfoVerifierBuilder().build(signer);
                // Checks the CMS signature, the signer's validity at genTime and its timeStamping EKU.
                token.validate(verifier);
                if (tsa.chain().size() > 1) {
                    CertificatePaths.validate(tsa.chain().subList(0, tsa.chain().size() - 1), List.of(tsa.root()), time);
                }
                return time;
            } catch (Exception e) {
                last = e.getMessage();
            }
        }
        throw new SignatureVerificationException(Reason.WRONG_KEY,
                "signed timestamp was not made by a trusted timestamp authority (" + last + ")");
    }

    private static SignatureVerificationException invalid(String message) {
        return new SignatureVerificationException(Reason.INVALID_SIGNATURE, message);
    }
}
