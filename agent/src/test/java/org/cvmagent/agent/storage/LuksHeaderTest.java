package org.cvmagent.agent.storage;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LuksHeaderTest {

    private static String refused(byte[] area) {
        return assertThrows(LuksHeader.RefusedException.class, () -> LuksHeader.check(area)).getMessage();
    }

    private static String refused(Consumer<ObjectNode> change) {
        return refused(LuksHeaders.area(change));
    }

    @Test
    void aHeaderAsThisAgentFormatsItPassesAndItsCopyHoldsOnlyHeadersAndKeyslots() throws Exception {
        byte[] area = LuksHeaders.area();
        area[LuksHeader.AREA - 1] = 7; // beyond the keyslots: e.g. a header planted for cryptsetup's scan
        area[300000] = 9; // after the keyslot area, before the data
        LuksHeader header = LuksHeader.check(area);
        assertEquals(16L * 1024 * 1024, header.dataOffset());
        byte[] copy = header.sanitized();
        assertArrayEquals(Arrays.copyOf(area, 2 * LuksHeaders.HDR), Arrays.copyOf(copy, 2 * LuksHeaders.HDR));
        assertEquals(0x5a, copy[32768]);
        assertEquals(0, copy[LuksHeader.AREA - 1]);
        assertEquals(0, copy[300000]);
    }

    @Test
    void aBrokenSecondaryIsLeftOutOfTheCopy() throws Exception {
        byte[] area = LuksHeaders.area();
        area[LuksHeaders.HDR + 5000] ^= 1; // its JSON no longer matches its checksum
        byte[] copy = LuksHeader.check(area).sanitized();
        assertTrue(LuksHeader.blank(Arrays.copyOfRange(copy, LuksHeaders.HDR, 2 * LuksHeaders.HDR)));
    }

    @Test
    void aSecondaryThatIsValidButDifferentIsCheckedToo() {
        byte[] area = LuksHeaders.area();
        ObjectNode weak = LuksHeaders.metadata();
        ((ObjectNode) weak.path("segments").path("0")).remove("integrity");
        LuksHeaders.write(area, LuksHeaders.HDR, false, weak);
        assertTrue(refused(area).contains("secondary"), refused(area));
    }

    @Test
    void whatTheHostCouldWriteIsRefused() {
        assertTrue(refused(m -> ((ObjectNode) m.path("segments").path("0")).put("encryption", "cipher_null-ecb"))
                .contains("cipher_null-ecb"));
        assertTrue(refused(m -> ((ObjectNode) m.path("segments").path("0")).remove("integrity"))
                .contains("integrity"));
        assertTrue(refused(m -> ((ObjectNode) m.path("segments").path("0").path("integrity")).put("type", "crc32c"))
                .contains("crc32c"));
        assertTrue(refused(m -> ((ObjectNode) m.path("tokens")).putObject("0").put("type", "luks2-keyring"))
                .contains("tokens"));
        assertTrue(refused(m -> ((ObjectNode) m.path("config")).putObject("requirements").putArray("mandatory")
                .add("online-reencrypt-v2")).contains("requirements"));
        assertTrue(refused(m -> ((ObjectNode) m.path("segments").path("0")).put("offset", "4096"))
                .contains("places the data"));
        assertTrue(refused(m -> ((ObjectNode) m.path("segments")).set("1", m.path("segments").path("0").deepCopy()))
                .contains("segments"));
        assertTrue(refused(m -> ((ObjectNode) m.path("keyslots").path("0").path("area")).put("offset", "16777000"))
                .contains("keyslot"));
        // a keyslot that would hand out a key the host chose, whatever key the guest tries
        assertTrue(refused(m -> ((ObjectNode) m.path("keyslots").path("0").path("area")).put("encryption",
                "cipher_null-ecb")).contains("cipher_null-ecb"));
        assertTrue(refused(m -> ((ObjectNode) m.path("keyslots").path("0").path("kdf")).put("type", "none"))
                .contains("key derivation"));
        assertTrue(refused(m -> ((ObjectNode) m.path("digests").path("0")).put("type", "plain"))
                .contains("digest"));
        assertTrue(refused(m -> ((ObjectNode) m.path("segments").path("0")).put("sector_size", 1))
                .contains("sector size"));
        byte[] corrupt = LuksHeaders.area();
        corrupt[5000] ^= 1;
        assertTrue(refused(corrupt).contains("checksum"));
        byte[] luks1 = LuksHeaders.area();
        luks1[7] = 1;
        assertTrue(refused(luks1).contains("version 1"));
        assertTrue(refused(new byte[LuksHeader.AREA]).contains("no LUKS2 header"));
    }

    @Test
    void blankAndMagic() {
        assertTrue(LuksHeader.blank(new byte[100]));
        assertFalse(LuksHeader.blank(new byte[] {0, 1}));
        assertTrue(LuksHeader.hasMagic(LuksHeaders.area()));
        assertFalse(LuksHeader.hasMagic(new byte[10]));
    }
}
