package org.cvmagent.attestation.eventlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.Optional;
import org.cvmagent.attestation.EvidenceFormatException;
import org.cvmagent.attestation.aael.AaelEntry;
import org.cvmagent.attestation.aael.AaelEvent;
import org.cvmagent.attestation.aael.EvidenceEventLog;
import org.junit.jupiter.api.Test;

/** EFI variable and tagged-event details, against the vectors and output of Trustee's eventlog crate. */
class EventDataDetailsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode claimDetails(TcgEventType type, byte[] data) throws Exception {
        byte[] entry = ByteBuffer.allocate(4 + 4 + 4 + 4 + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(1).putInt((int) typeCode(type)).putInt(0).putInt(data.length).put(data).array();
        CcEventLog log = CcEventLog.parse(EvidenceEventLog.assemble(Optional.empty(), entry).orElseThrow());
        return EventLogClaims.toJson(log).get(0).get("details");
    }

    private static long typeCode(TcgEventType type) {
        for (long c : new long[] {0x6, 0x80000001L, 0x80000002L, 0x800000E0L}) {
            if (TcgEventType.of(c).orElseThrow() == type) {
                return c;
            }
        }
        throw new IllegalArgumentException(type.name());
    }

    @Test
    void efiVariablesAsTrusteeReportsThem() throws Exception {
        assertEquals(JSON.readTree("""
                {"unicode_name":"SecureBoot","unicode_name_length":10,"variable_data":"","variable_data_length":0,
                 "variable_name":"61dfe48b-ca93-d211-aa0d-00e098032b8c"}"""),
                claimDetails(TcgEventType.EV_EFI_VARIABLE_DRIVER_CONFIG, HexFormat.of().parseHex(
                        "61dfe48bca93d211aa0d00e098032b8c0a00000000000000000000000000000053006500630075007200650042"
                                + "006f006f007400")));
        assertEquals(JSON.readTree("""
                {"unicode_name":"BootOrder","unicode_name_length":9,"variable_data":"AAA=","variable_data_length":2,
                 "variable_name":"61dfe48b-ca93-d211-aa0d-00e098032b8c"}"""),
                claimDetails(TcgEventType.EV_EFI_VARIABLE_BOOT, HexFormat.of().parseHex(
                        "61dfe48bca93d211aa0d00e098032b8c0900000000000000020000000000000042006f006f0074004f0072006400"
                                + "650072000000")));
        assertEquals(JSON.readTree("""
                {"unicode_name":"SbatLevel","unicode_name_length":9,
                 "variable_data":"c2JhdCwxLDIwMjMwMTI5MDAKc2hpbSwyCmdydWIsMwpncnViLmRlYmlhbiw0Cg==",
                 "variable_data_length":46,"variable_name":"50ab5d60-46e0-0043-abb6-3dd810dd8b23"}"""),
                claimDetails(TcgEventType.EV_EFI_VARIABLE_AUTHORITY, HexFormat.of().parseHex(
                        "50ab5d6046e00043abb63dd810dd8b2309000000000000002e0000000000000053006200610074004c0065007600"
                                + "65006c00736261742c312c323032333031323930300a7368696d2c320a677275622c330a677275622e64"
                                + "656269616e2c340a")));
        // a name or value longer than the event
        assertThrows(EvidenceFormatException.class, () -> EfiVariableData.decode(HexFormat.of().parseHex(
                "61dfe48bca93d211aa0d00e098032b8c0a000000000000000000000000000000530065")));
        assertThrows(EvidenceFormatException.class, () -> EfiVariableData.decode(HexFormat.of().parseHex(
                "61dfe48bca93d211aa0d00e098032b8c0100000000000000ffffffffffffff7f5300")));
    }

    @Test
    void taggedEventsAreText() throws Exception {
        assertEquals("LOADED_IMAGE::LoadOptions", TaggedEventData.decode(HexFormat.of().parseHex(
                "ed223b8f1a0000004c4f414445445f494d4147453a3a4c6f61644f7074696f6e7300")).string().orElseThrow());
        assertEquals("Linux initrd", TaggedEventData.decode(HexFormat.of().parseHex(
                "ec223b8f0d0000004c696e757820696e6974726400")).string().orElseThrow());
        assertThrows(EvidenceFormatException.class, () -> TaggedEventData.decode(new byte[0]));
        assertThrows(EvidenceFormatException.class, () -> TaggedEventData.decode(new byte[] {0x0f}));
        assertThrows(EvidenceFormatException.class, () -> TaggedEventData.decode(HexFormat.of().parseHex(
                "0F74645f7061796c6f61640000109000000000000000001000000000")));
    }

    /** The same events, and the same details, as in Trustee's CCEL_AAEL_alibabacloud_out.json. */
    @Test
    void aaelEntriesCarryDomainOperationAndContent() throws Exception {
        AaelEntry plain = AaelEntry.of(new AaelEvent("coco.com", "some-operation", "some-content"), 4,
                TcgAlgorithm.SHA384);
        AaelEntry json = AaelEntry.of(new AaelEvent("coco.com", "some-operation",
                "{\"key\": \"value\", \"nested-key\": {\"sub-key\": \"value\"}}"), 4, TcgAlgorithm.SHA384);
        byte[] both = ByteBuffer.allocate(plain.bytes().length + json.bytes().length).put(plain.bytes())
                .put(json.bytes()).array();
        JsonNode claims = EventLogClaims.toJson(CcEventLog.parse(EvidenceEventLog.assemble(Optional.empty(), both)
                .orElseThrow()));
        assertEquals(JSON.readTree("""
                {"data":{"content":"some-content","domain":"coco.com","operation":"some-operation"},
                 "string":"coco.com some-operation some-content","unicode_name":"AAEL"}"""),
                claims.get(0).get("details"));
        assertEquals(JSON.readTree("""
                {"data":{"content":{"key":"value","nested-key":{"sub-key":"value"}},"domain":"coco.com",
                         "operation":"some-operation"},
                 "string":"coco.com some-operation {\\"key\\": \\"value\\", \\"nested-key\\": {\\"sub-key\\": \\"value\\"}}",
                 "unicode_name":"AAEL"}"""),
                claims.get(1).get("details"));
        assertEquals("EV_EVENT_TAG", claims.get(1).get("type_name").asText());
        assertTrue(claims.get(1).get("digest_matches_event").asBoolean());
        assertEquals(4, claims.get(1).get("index").asInt());
        assertEquals(JSON.getNodeFactory().textNode("1 2"), TaggedEventData.decode(tagged(0x4141454c,
                "d o 1 2".getBytes())).data().orElseThrow().get("content"), "trailing content is not JSON");
    }

    @Test
    void malformedAaelTagsAreErrors() {
        assertThrows(EvidenceFormatException.class, () -> TaggedEventData.decode(tagged(0x4141454c,
                "only-one space".getBytes())));
        assertThrows(EvidenceFormatException.class, () -> TaggedEventData.decode(tagged(0x4141454c,
                new byte[] {'d', ' ', 'o', ' ', (byte) 0xff})));
    }

    private static byte[] tagged(int id, byte[] text) {
        return ByteBuffer.allocate(8 + text.length).order(ByteOrder.LITTLE_ENDIAN).putInt(id).putInt(text.length)
                .put(text).array();
    }
}
