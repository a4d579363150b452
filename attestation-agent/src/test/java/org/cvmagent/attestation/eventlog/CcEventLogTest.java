package org.cvmagent.attestation.eventlog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import org.cvmagent.attestation.EvidenceFormatException;
import org.cvmagent.attestation.JsonDiff;
import org.cvmagent.attestation.SharedTestData;
import org.junit.jupiter.api.Test;

class CcEventLogTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void realCcelParsesToTrusteesOutput() throws Exception {
        byte[] ccel = Files.readAllBytes(SharedTestData.attestation("ccel/CCEL_data"));
        JsonNode expected = JSON.readTree(SharedTestData.attestation("ccel/CCEL_data_out.json").toFile());
        CcEventLog log = CcEventLog.parse(ccel);
        JsonNode got = EventLogClaims.toJson(log);
        assertEquals(expected.get("uefi_event_logs"), got,
                () -> "differs: " + JsonDiff.firstDifference(expected.get("uefi_event_logs"), got));
    }

    @Test
    void replayAccumulatesOneRegister() throws Exception {
        CcEventLog log = CcEventLog.parse(Files.readAllBytes(SharedTestData.attestation("ccel/CCEL_data")));
        byte[] register = new byte[48];
        MessageDigest sha384 = MessageDigest.getInstance("SHA-384");
        for (EventLogEntry e : log.entries()) {
            if (e.index() == 2) {
                sha384.update(register);
                sha384.update(e.digests().get(0).digest());
                register = sha384.digest();
            }
        }
        assertArrayEquals(register, log.replay(2, TcgAlgorithm.SHA384));
        assertEquals(48, log.replay(3, TcgAlgorithm.SHA384).length);
    }

    @Test
    void truncatedOrCorruptLogsFailWithTheField() throws Exception {
        byte[] ccel = Files.readAllBytes(SharedTestData.attestation("ccel/CCEL_data"));
        int firstEventEnd = 32 + (int) (ccel[28] & 0xff | (ccel[29] & 0xff) << 8);
        EvidenceFormatException cut = assertThrows(EvidenceFormatException.class,
                () -> CcEventLog.parse(Arrays.copyOf(ccel, firstEventEnd + 20)));
        assertTrue(cut.getMessage().contains("truncated"), cut.getMessage());
        byte[] badType = ccel.clone();
        badType[firstEventEnd + 4] = 0x77;
        badType[firstEventEnd + 7] = 0x55;
        EvidenceFormatException type = assertThrows(EvidenceFormatException.class, () -> CcEventLog.parse(badType));
        assertTrue(type.getMessage().contains("unknown event type"), type.getMessage());
        assertThrows(EvidenceFormatException.class, () -> CcEventLog.parse(new byte[10]));
        assertThrows(EvidenceFormatException.class, () -> CcEventLog.parse(HexFormat.of().parseHex(
                "00000000030000000000000000000000000000000000000000000000ffffff7f")));
    }
}
