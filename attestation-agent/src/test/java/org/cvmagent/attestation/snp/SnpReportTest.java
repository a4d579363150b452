package org.cvmagent.attestation.snp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import org.cvmagent.attestation.EvidenceFormatException;
import org.cvmagent.attestation.SharedTestData;
import org.junit.jupiter.api.Test;

class SnpReportTest {

    private static X509Certificate vcek() throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(
                new ByteArrayInputStream(Files.readAllBytes(SharedTestData.attestation("snp/test-vcek.der"))));
    }

    @Test
    void realReportParsesAndItsVcekSignatureVerifies() throws Exception {
        byte[] bytes = Files.readAllBytes(SharedTestData.attestation("snp/test-report.bin"));
        SnpReport report = SnpReport.parse(bytes);
        assertTrue(report.version() >= 2, "version " + report.version());
        assertEquals(1, report.signatureAlgorithm());
        assertEquals(48, report.measurement().length);
        assertTrue(report.signedBy(vcek()), "the VCEK's signature over the report must verify");
    }

    @Test
    void anyChangeToTheSignedPartBreaksTheSignature() throws Exception {
        byte[] bytes = Files.readAllBytes(SharedTestData.attestation("snp/test-report.bin"));
        for (int offset : new int[] {0x50, 0x90, 0xC0, 0x29F}) {
            byte[] tampered = bytes.clone();
            tampered[offset] ^= 1;
            assertFalse(SnpReport.parse(tampered).signedBy(vcek()), "tampered at 0x" + Integer.toHexString(offset));
        }
    }

    @Test
    void wrongSizeIsRejected() throws Exception {
        byte[] bytes = Files.readAllBytes(SharedTestData.attestation("snp/test-report.bin"));
        assertThrows(EvidenceFormatException.class, () -> SnpReport.parse(Arrays.copyOf(bytes, 1000)));
    }
}
