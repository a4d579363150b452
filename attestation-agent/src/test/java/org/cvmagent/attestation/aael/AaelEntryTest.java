package org.cvmagent.attestation.aael;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.cvmagent.attestation.eventlog.TcgAlgorithm;
import org.junit.jupiter.api.Test;

class AaelEntryTest {
    private static final AaelEvent EVENT = new AaelEvent("domain", "operation", "content");

    /** guest-components' eventlog test vectors (test_event_digest) for "domain operation content". */
    @Test
    void digestsAreGuestComponentsTestVectors() {
        assertEquals("46df8dacf00a07d34a83cdf56d7978697790787cf2ba1432ef7c38f22cd96351",
                HexFormat.of().formatHex(AaelEntry.of(EVENT, 4, TcgAlgorithm.SHA256).digest()));
        assertEquals("dad5f0e226318ffa9839b75a472c6aa7fdb5834949d0a0a22990cf04d5692440fb00f3aa0609db7e49cd8d793f670d02",
                HexFormat.of().formatHex(AaelEntry.of(EVENT, 4, TcgAlgorithm.SHA384).digest()));
        assertEquals("b708d222ca8bd44dfe6ba0c4ca2cbb72379276fba8091025217064be45a813e5d6124ccf073219edb617d1faf007d55061465bdf34b7437dbdc9a7405bd4e9c0",
                HexFormat.of().formatHex(AaelEntry.of(EVENT, 4, TcgAlgorithm.SHA512).digest()));
    }

    @Test
    void entryIsATcg2EventTagEntry() {
        AaelEntry entry = AaelEntry.of(EVENT, 4, TcgAlgorithm.SHA384);
        ByteBuffer b = ByteBuffer.wrap(entry.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(4, b.getInt(), "register (RTMR3 as CC MR index 4)");
        assertEquals(6, b.getInt(), "EV_EVENT_TAG");
        assertEquals(1, b.getInt(), "one digest");
        assertEquals(0x0c, b.getShort(), "SHA-384");
        byte[] digest = new byte[48];
        b.get(digest);
        assertArrayEquals(entry.digest(), digest);
        byte[] text = "domain operation content".getBytes(StandardCharsets.UTF_8);
        assertEquals(8 + text.length, b.getInt());
        assertEquals(0x4141454c, b.getInt(), "tagged event id 'AAEL'");
        assertEquals(text.length, b.getInt());
        byte[] rest = new byte[b.remaining()];
        b.get(rest);
        assertArrayEquals(text, rest);
        // the id's little-endian bytes spell LEAA: the number, not the ASCII string, is written
        int idAt = 4 + 4 + 4 + 2 + 48 + 4;
        assertArrayEquals("LEAA".getBytes(StandardCharsets.US_ASCII),
                Arrays.copyOfRange(entry.bytes(), idAt, idAt + 4));
    }

    @Test
    void eventsTheVerifierWouldReadDifferentlyAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new AaelEvent("d", "op", "two\nlines"));
        assertThrows(IllegalArgumentException.class, () -> new AaelEvent("a domain", "op", "c"));
        assertThrows(IllegalArgumentException.class, () -> new AaelEvent("d", "op\t", "c"));
        assertThrows(IllegalArgumentException.class, () -> new AaelEvent("", "op", "c"));
        assertThrows(IllegalArgumentException.class, () -> new AaelEvent("d", "", "c"));
        AaelEvent withSpaces = new AaelEvent("github.com/confidential-containers", "PullImage",
                "{\"image\":\"a b\",\"digest\":\"sha256:00\"}");
        assertEquals(withSpaces, AaelEvent.parse(withSpaces.text()));
        assertEquals(new AaelEvent("d", "o", ""), AaelEvent.parse("d o "));
        assertThrows(IllegalArgumentException.class, () -> AaelEvent.parse("only-one space"));
    }
}
