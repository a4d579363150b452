package org.cvmagent.agent.storage;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.function.Consumer;

/** Synthetic LUKS2 header areas in the layout cryptsetup writes, for tests. */
public final class LuksHeaders {
    public static final int HDR = 16384;
    private static final ObjectMapper JSON = new ObjectMapper();

    private LuksHeaders() {
    }

    /** The metadata of a volume as this agent formats it. */
    public static ObjectNode metadata() {
        try {
            return (ObjectNode) JSON.readTree("""
                    {"keyslots":{"0":{"type":"luks2","key_size":64,"area":{"type":"raw","offset":"32768",
                      "size":"258048","encryption":"aes-xts-plain64","key_size":64},
                      "kdf":{"type":"pbkdf2","hash":"sha256","iterations":1000,"salt":"AA=="},
                      "af":{"type":"luks1","stripes":4000,"hash":"sha256"}}},
                     "tokens":{},
                     "segments":{"0":{"type":"crypt","offset":"16777216","size":"dynamic","iv_tweak":"0",
                      "encryption":"aes-xts-plain64","sector_size":512,
                      "integrity":{"type":"hmac(sha256)","journal_encryption":"none","journal_integrity":"none"}}},
                     "digests":{"0":{"type":"pbkdf2","keyslots":["0"],"segments":["0"],"hash":"sha256",
                      "iterations":1000,"salt":"AA==","digest":"AA=="}},
                     "config":{"json_size":"12288","keyslots_size":"16744448"}}""");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A 16 MiB area: both headers with {@code metadata}, keyslot bytes 0x5a. */
    public static byte[] area(Consumer<ObjectNode> change) {
        ObjectNode meta = metadata();
        change.accept(meta);
        byte[] area = new byte[LuksHeader.AREA];
        Arrays.fill(area, 32768, 32768 + 258048, (byte) 0x5a);
        write(area, 0, true, meta);
        write(area, HDR, false, meta);
        return area;
    }

    public static byte[] area() {
        return area(m -> { });
    }

    public static void write(byte[] area, int at, boolean primary, ObjectNode meta) {
        byte[] header = new byte[HDR];
        ByteBuffer b = ByteBuffer.wrap(header);
        b.put(primary ? new byte[] {'L', 'U', 'K', 'S', (byte) 0xba, (byte) 0xbe}
                : new byte[] {'S', 'K', 'U', 'L', (byte) 0xba, (byte) 0xbe});
        b.putShort((short) 2);
        b.putLong(HDR);
        b.putLong(1);
        byte[] alg = "sha256".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(alg, 0, header, 72, alg.length);
        ByteBuffer.wrap(header, 256, 8).putLong(at);
        byte[] json = meta.toString().getBytes(StandardCharsets.UTF_8);
        System.arraycopy(json, 0, header, 4096, json.length);
        try {
            byte[] sum = MessageDigest.getInstance("SHA-256").digest(header);
            System.arraycopy(sum, 0, header, 448, sum.length);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        System.arraycopy(header, 0, area, at, HDR);
    }
}
