package org.cvmagent.attestation.attester;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SampleAttesterTest {
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void evidenceHasTheShapeTrusteesSampleVerifierParses() throws Exception {
        byte[] reportData = new byte[48];
        reportData[0] = 7;
        reportData[47] = (byte) 0xff;

        JsonNode evidence = json.readTree(new SampleAttester(json).evidence(reportData));

        List<String> names = new java.util.ArrayList<>();
        evidence.fieldNames().forEachRemaining(names::add);
        assertEquals(List.of("svn", "report_data"), names);
        assertEquals("1", evidence.get("svn").textValue());
        assertArrayEquals(reportData, Base64.getDecoder().decode(evidence.get("report_data").textValue()));
    }

    @Test
    void isTheSampleTee() {
        assertEquals(TeeType.SAMPLE, new SampleAttester(json).tee());
    }

    @Test
    void refusesMissingReportData() {
        assertThrows(AttesterException.class, () -> new SampleAttester(json).evidence(null));
    }

    @Test
    void teeWireNamesAreTrustees() {
        assertEquals("az-snp-vtpm", TeeType.AZ_SNP_VTPM.wireName());
        assertEquals("hygondcu", TeeType.HYGON_DCU.wireName());
        assertEquals(Optional.of(TeeType.TDX), TeeType.fromWireName("tdx"));
        assertEquals(Optional.empty(), TeeType.fromWireName("TDX"));
    }
}
