package org.cvmagent.attestation.tdx;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Sequence;
import org.cvmagent.attestation.EvidenceFormatException;

/**
 * The PCK leaf certificate of a quote's chain and the Intel SGX extensions in it (OID
 * 1.2.840.113741.1.13.1), of which the platform instance id identifies a multi-package platform.
 */
public final class PckCertificate {
    private static final String SGX_EXTENSIONS = "1.2.840.113741.1.13.1";
    private static final ASN1ObjectIdentifier PLATFORM_INSTANCE_ID = new ASN1ObjectIdentifier(SGX_EXTENSIONS + ".6");

    private final X509Certificate certificate;

    private PckCertificate(X509Certificate certificate) {
        this.certificate = certificate;
    }

    public static PckCertificate fromPem(String pem) throws EvidenceFormatException {
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            return new PckCertificate((X509Certificate) cf.generateCertificate(
                    new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII))));
        } catch (CertificateException e) {
            throw new EvidenceFormatException("PCK certificate does not parse: " + e.getMessage(), e);
        }
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /** The 16-byte platform instance id, present only on certificates of multi-package platforms. */
    public Optional<byte[]> platformInstanceId() throws EvidenceFormatException {
        byte[] ext = certificate.getExtensionValue(SGX_EXTENSIONS);
        if (ext == null) {
            return Optional.empty();
        }
        try {
            ASN1Sequence entries = ASN1Sequence.getInstance(ASN1OctetString.getInstance(ext).getOctets());
            for (ASN1Encodable e : entries) {
                ASN1Sequence pair = ASN1Sequence.getInstance(e);
                if (pair.size() == 2 && PLATFORM_INSTANCE_ID.equals(pair.getObjectAt(0))) {
                    return Optional.of(ASN1OctetString.getInstance(pair.getObjectAt(1)).getOctets());
                }
            }
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            throw new EvidenceFormatException("PCK certificate: malformed SGX extensions: " + e.getMessage(), e);
        }
    }
}
