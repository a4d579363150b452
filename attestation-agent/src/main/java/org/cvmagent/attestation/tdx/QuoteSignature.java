package org.cvmagent.attestation.tdx;

import java.util.List;
import java.util.Optional;

/**
 * ECDSA-P256 quote signature data: the signature over header and body, the attestation public key,
 * and the certification data. For certification type 6 that is the QE report, its signature and
 * authentication data, and nested certification data (type 5: the PCK certificate chain, PEM).
 */
public record QuoteSignature(byte[] signature, byte[] attestationKey, int certificationType,
        Optional<byte[]> qeReport, Optional<byte[]> qeReportSignature, Optional<byte[]> qeAuthData,
        List<String> pckCertificateChainPem) {
}
