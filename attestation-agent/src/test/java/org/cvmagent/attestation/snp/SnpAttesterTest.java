package org.cvmagent.attestation.snp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.cvmagent.attestation.EvidenceFormatException;
import org.cvmagent.attestation.SharedTestData;
import org.cvmagent.attestation.attester.AttesterException;
import org.cvmagent.attestation.attester.TeeType;
import org.cvmagent.attestation.tsm.FakeTsmKernel;
import org.cvmagent.attestation.tsm.TsmReport;
import org.junit.jupiter.api.Test;

class SnpAttesterTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final UUID VCEK = UUID.fromString("63da758d-e664-4564-adc5-f4b93be8accd");
    private static final UUID ASK = UUID.fromString("4ab7b379-bbac-4fe4-a02f-05aef327c782");
    private static final UUID VENDOR = UUID.fromString("01234567-89ab-cdef-0123-456789abcdef");

    private static byte[] report() throws Exception {
        return Files.readAllBytes(SharedTestData.attestation("snp/test-report.bin"));
    }

    private static byte[] vcekDer() throws Exception {
        return Files.readAllBytes(SharedTestData.attestation("snp/test-vcek.der"));
    }

    private static X509Certificate vcek() throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(vcekDer()));
    }

    /** The recorded report's own report data: asking for it is what makes the real signature usable here. */
    private static byte[] reportDataOf(byte[] report) {
        return Arrays.copyOfRange(report, 0x50, 0x90);
    }

    private static byte[] certTable() throws Exception {
        return FakeSevGuest.certTable(List.of(VCEK, ASK, VENDOR),
                List.of(vcekDer(), "ask-der".getBytes(StandardCharsets.US_ASCII), new byte[] {1, 2}));
    }

    @Test
    void ioctlEvidenceIsTheSevSerdeShapeAndEncodesBackToTheSignedReport() throws Exception {
        byte[] report = report();
        FakeSevGuest device = new FakeSevGuest(report, Optional.of(certTable()));
        SnpAttester snp = new SnpAttester(new SevGuestReportSource(device));
        assertTrue(snp.detect());
        assertEquals(TeeType.SNP, snp.tee());

        JsonNode evidence = JSON.readTree(snp.evidence(reportDataOf(report)));
        assertEquals(2, evidence.size(), evidence.toString());
        JsonNode r = evidence.get("attestation_report");
        assertEquals(2, r.get("version").asInt());
        assertEquals(0x3001fL, r.get("policy").asLong());
        assertEquals(1, r.get("sig_algo").asInt());
        assertTrue(r.get("cpuid_fam_id").isNull() && r.get("launch_mit_vector").isNull(), "v2 has neither");
        assertTrue(r.get("current_tcb").get("fmc").isNull(), "pre-Turin TCB has no FMC");
        assertEquals(0x73, r.get("reported_tcb").get("microcode").asInt());
        assertEquals(8, r.get("reported_tcb").get("snp").asInt());
        assertEquals(64, r.get("report_data").size());
        assertEquals(72, r.get("signature").get("r").size());
        SnpReport parsed = SnpReport.parse(report);
        assertArrayEquals(parsed.measurement(), bytes(r.get("measurement")));
        assertArrayEquals(parsed.hostData(), bytes(r.get("host_data")));
        assertArrayEquals(parsed.chipId(), bytes(r.get("chip_id")));

        // what Trustee does with it: re-encode and check the VCEK signature over the first 0x2A0 bytes
        byte[] encoded = SevSerdeEncoder.encode(r);
        assertArrayEquals(Arrays.copyOf(report, 0x330), Arrays.copyOf(encoded, 0x330));
        assertTrue(SnpReport.parse(encoded).signedBy(vcek()));

        JsonNode chain = evidence.get("cert_chain");
        assertEquals(3, chain.size());
        assertEquals("VCEK", chain.get(0).get("cert_type").asText());
        assertArrayEquals(vcekDer(), bytes(chain.get(0).get("data")));
        assertEquals("ASK", chain.get(1).get("cert_type").asText());
        assertEquals(VENDOR.toString(), chain.get(2).get("cert_type").get("OTHER").asText());

        List<FakeSevGuest.Call> calls = device.calls();
        assertEquals(2, calls.size(), "a probe without a buffer, then the sized request");
        assertEquals(0, calls.get(0).certsLen());
        assertEquals(4096, calls.get(1).certsLen());
        assertEquals(0, calls.get(1).certsAddress() % 4096, "page-aligned certificate buffer");
        for (FakeSevGuest.Call c : calls) {
            assertEquals(1, c.messageVersion());
            assertEquals(0, c.vmpl());
            assertArrayEquals(reportDataOf(report), c.userData());
            assertEquals(0xC0205302L, c.request(), "_IOWR('S', 2, struct snp_guest_request_ioctl)");
        }
    }

    @Test
    void withoutHostCertificatesTheChainIsNull() throws Exception {
        byte[] report = report();
        FakeSevGuest device = new FakeSevGuest(report, Optional.empty());
        JsonNode evidence = JSON.readTree(new SnpAttester(new SevGuestReportSource(device)).evidence(reportDataOf(report)));
        assertTrue(evidence.get("cert_chain").isNull());
        assertEquals(1, device.calls().size());
    }

    @Test
    void firmwareAndDeviceFailuresAreClearErrors() throws Exception {
        byte[] report = report();
        FakeSevGuest wrongData = new FakeSevGuest(report, Optional.empty());
        assertTrue(assertThrows(AttesterException.class, () -> new SnpAttester(new SevGuestReportSource(wrongData))
                .evidence(new byte[] {1, 2, 3})).getMessage().contains("not the requested"));

        FakeSevGuest refused = new FakeSevGuest(report, Optional.empty());
        refused.firmwareStatus(0x16);
        assertTrue(assertThrows(AttesterException.class, () -> new SnpAttester(new SevGuestReportSource(refused))
                .evidence(reportDataOf(report))).getMessage().contains("status 0x16"));

        FakeSevGuest failing = new FakeSevGuest(report, Optional.empty());
        failing.failWith(5);
        String message = assertThrows(AttesterException.class, () -> new SnpAttester(new SevGuestReportSource(failing))
                .evidence(reportDataOf(report))).getMessage();
        assertTrue(message.contains("errno 5") && message.contains("firmware error 0x16"), message);

        FakeSevGuest greedy = new FakeSevGuest(report, Optional.of(certTable()));
        greedy.demandCertsLen(4097);
        assertTrue(assertThrows(AttesterException.class, () -> new SnpAttester(new SevGuestReportSource(greedy))
                .evidence(reportDataOf(report))).getMessage().contains("4097"));

        assertThrows(AttesterException.class, () -> new SnpAttester(new SevGuestReportSource(wrongData))
                .evidence(new byte[65]));
    }

    @Test
    void configfsTsmEvidenceCarriesTheAuxblobCertificates() throws Exception {
        byte[] report = report();
        FakeTsmKernel kernel = new FakeTsmKernel("sev_guest", in -> {
            assertArrayEquals(reportDataOf(report), in);
            return report.clone();
        }, certTable());
        SnpAttester snp = new SnpAttester(new TsmSnpReportSource(new TsmReport(kernel)));
        assertTrue(snp.detect());
        JsonNode evidence = JSON.readTree(snp.evidence(reportDataOf(report)));
        assertEquals("VCEK", evidence.get("cert_chain").get(0).get("cert_type").asText());
        assertArrayEquals(Arrays.copyOf(report, 0x330),
                Arrays.copyOf(SevSerdeEncoder.encode(evidence.get("attestation_report")), 0x330));
        assertEquals(0, kernel.openRequests());

        SnpAttester tdxGuest = new SnpAttester(new TsmSnpReportSource(new TsmReport(
                new FakeTsmKernel("tdx_guest", in -> report, null))));
        assertFalse(tdxGuest.detect());
        assertTrue(assertThrows(AttesterException.class, () -> tdxGuest.evidence(new byte[8])).getMessage()
                .contains("provider is tdx_guest, wanted sev_guest"));
    }

    @Test
    void initDataIsCheckedAgainstHostData() throws Exception {
        byte[] report = report();
        byte[] hostData = Arrays.copyOfRange(report, 0xC0, 0xE0);
        FakeSevGuest device = new FakeSevGuest(report, Optional.empty());
        SnpAttester snp = new SnpAttester(new SevGuestReportSource(device));
        assertTrue(snp.initDataMatches(hostData));
        byte[] sha384 = Arrays.copyOf(hostData, 48);
        sha384[40] = 7;
        assertTrue(snp.initDataMatches(sha384), "a longer digest is cut to HOST_DATA's 32 bytes, as CoCo does");
        byte[] other = hostData.clone();
        other[0] ^= 1;
        assertFalse(snp.initDataMatches(other));
        assertArrayEquals(new byte[64], device.calls().get(0).userData(), "HOST_DATA is read with empty report data");
    }

    @Test
    void aV5TurinReportHasFmcCpuidAndMitigationVectors() throws Exception {
        byte[] report = report();
        ByteBuffer b = ByteBuffer.wrap(report).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 5);
        for (int tcb : new int[] {0x38, 0x180, 0x1E0, 0x1F0}) {
            b.put(tcb, new byte[] {1, 2, 3, 4, 0, 0, 0, 0x55});
        }
        report[0x188] = 0x1A;
        report[0x189] = 0x02;
        report[0x18A] = 0x01;
        b.putLong(0x1F8, 0xFFFFFFFFFFFFFFF0L);
        b.putLong(0x200, 3);
        JsonNode r = SnpReportJson.of(report);
        assertEquals(1, r.get("current_tcb").get("fmc").asInt());
        assertEquals(4, r.get("launch_tcb").get("snp").asInt());
        assertEquals(0x55, r.get("committed_tcb").get("microcode").asInt());
        assertEquals(0x1A, r.get("cpuid_fam_id").asInt());
        assertEquals(1, r.get("cpuid_step").asInt());
        assertEquals("18446744073709551600", r.get("launch_mit_vector").asText(), "u64 stays unsigned");
        assertEquals(3, r.get("current_mit_vector").asLong());
        assertArrayEquals(Arrays.copyOf(report, 0x330), Arrays.copyOf(SevSerdeEncoder.encode(r), 0x330));

        report[0x189] = 0x40;
        assertTrue(assertThrows(EvidenceFormatException.class, () -> SnpReportJson.of(report)).getMessage()
                .contains("not a known SEV-SNP processor"));
        byte[] masked = report();
        Arrays.fill(masked, 0x1A0, 0x1E0, (byte) 0);
        assertThrows(EvidenceFormatException.class, () -> SnpReportJson.of(masked), "v2 with a masked CHIP_ID");
        assertThrows(EvidenceFormatException.class, () -> SnpReportJson.of(Arrays.copyOf(report, 100)));
    }

    @Test
    void aCertificateTablePointingOutsideItselfIsRefused() throws Exception {
        byte[] table = certTable();
        ByteBuffer.wrap(table).order(ByteOrder.LITTLE_ENDIAN).putInt(20, 1 << 20);
        assertThrows(EvidenceFormatException.class, () -> SnpCertTable.parse(table));
        assertThrows(EvidenceFormatException.class, () -> SnpCertTable.parse(new byte[23]).entries(),
                "no terminator");
        assertEquals(0, SnpCertTable.parse(new byte[24]).entries().size());
        assertArrayEquals(vcekDer(), SnpCertTable.parse(certTable()).certificate("VCEK").orElseThrow());
    }

    private static byte[] bytes(JsonNode array) {
        byte[] out = new byte[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) array.get(i).asInt();
        }
        return out;
    }
}
