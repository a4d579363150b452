package org.cvmagent.attestation.eventlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class TcgAlgorithmTest {
    /** GB/T 32905-2016 example 1: SM3("abc"). */
    @Test
    void sm3ForCsvEventLogs() {
        assertEquals("66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0", HexFormat.of().formatHex(
                TcgAlgorithm.SM3.newDigest().orElseThrow().digest("abc".getBytes(StandardCharsets.US_ASCII))));
        assertEquals(32, TcgAlgorithm.SM3.digestSize());
    }

    @Test
    void onlyHashesHaveDigests() {
        for (TcgAlgorithm a : TcgAlgorithm.values()) {
            if (a.digestSize() > 0) {
                assertEquals(a.digestSize(), a.newDigest().orElseThrow().getDigestLength(), a.displayName());
            } else {
                assertTrue(a.newDigest().isEmpty(), a.displayName());
            }
        }
    }
}
