package org.cvmagent.attestation.tdx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import org.cvmagent.attestation.EvidenceFormatException;
import org.cvmagent.attestation.JsonDiff;
import org.cvmagent.attestation.SharedTestData;
import org.cvmagent.attestation.eventlog.CcEventLog;
import org.junit.jupiter.api.Test;

class TdxQuoteTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final TdxQuoteParser parser = new TdxQuoteParser();

    @Test
    void quoteV4WithCcelGivesTrusteesClaims() throws Exception {
        TdxQuote quote = parser.parse(Files.readAllBytes(SharedTestData.attestation("tdx/tdx_quote_4.dat")));
        CcEventLog log = CcEventLog.parse(Files.readAllBytes(SharedTestData.attestation("ccel/CCEL_data")));
        JsonNode expected = JSON.readTree(SharedTestData.attestation("tdx/parse_tdx_claims_expected.json").toFile());
        ObjectNode claims = TdxClaims.of(quote, Optional.of(log));
        assertEquals(expected, claims, () -> "claims differ: " + JsonDiff.firstDifference(expected, claims));
        assertTrue(quote.signature().pckCertificateChainPem().size() >= 2, "PCK chain with its CA certificates");
    }

    @Test
    void quoteV5IsATdx15OrTdx10Body() throws Exception {
        byte[] bytes = Files.readAllBytes(SharedTestData.attestation("tdx/tdx_quote_5.dat"));
        TdxQuote quote = parser.parse(bytes);
        assertEquals(5, quote.header().version());
        int type = quote.v5BodyType().orElseThrow();
        assertEquals(type == 3, quote.body().mrServiceTd().isPresent());
        ObjectNode claims = TdxClaims.of(quote, Optional.empty());
        assertEquals("0500", claims.at("/quote/header/version").asText());
        assertEquals(HexFormat.of().formatHex(quote.body().reportData()), claims.get("report_data").asText());
        assertEquals(96, claims.at("/quote/body/rtmr_0").asText().length());
        assertTrue(claims.has("td_attributes"));
    }

    @Test
    void malformedQuotesAreClearErrors() throws Exception {
        byte[] v4 = Files.readAllBytes(SharedTestData.attestation("tdx/tdx_quote_4.dat"));
        EvidenceFormatException cut = assertThrows(EvidenceFormatException.class,
                () -> parser.parse(Arrays.copyOf(v4, 300)));
        assertTrue(cut.getMessage().contains("truncated reading"), cut.getMessage());
        byte[] sgx = v4.clone();
        sgx[0] = 3;
        assertTrue(assertThrows(EvidenceFormatException.class, () -> parser.parse(sgx)).getMessage()
                .contains("version 3"));
        byte[] notTd = v4.clone();
        notTd[4] = 0;
        assertTrue(assertThrows(EvidenceFormatException.class, () -> parser.parse(notTd)).getMessage()
                .contains("not TDX"));
        byte[] hugeSig = v4.clone();
        int sigLen = QuoteHeader.SIZE + TdReport.SIZE_TDX10;
        hugeSig[sigLen + 3] = 0x7f;
        assertThrows(EvidenceFormatException.class, () -> parser.parse(hugeSig));
    }
}
