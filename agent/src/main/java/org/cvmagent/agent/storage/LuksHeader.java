package org.cvmagent.agent.storage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A LUKS2 header read from the start of a disk the host provides, checked in guest memory before
 * cryptsetup sees it: both binary headers (primary at 0, secondary at the header size) with their
 * SHA-256 checksums, and the JSON metadata of each one that is valid: one {@code crypt} segment with
 * the cipher and integrity this agent formats ({@code aes-xts-plain64} with {@code hmac(sha256)}),
 * no tokens, no mandatory requirements (such as an unfinished re-encryption), keyslots and data
 * inside the area copied. {@link #sanitized()} is the copy cryptsetup opens with {@code --header}:
 * only the checked headers and the keyslot areas, everything else zeroed, so cryptsetup cannot fall
 * back to a header found elsewhere, and the host cannot swap the header between check and use.
 *
 * <p>The layout (cryptsetup's {@code docs/on-disk-format-luks2.pdf}): a 4096-byte binary header
 * (magic {@code LUKS\xba\xbe} or {@code SKUL\xba\xbe}, version 2, header size, sequence id, ...,
 * checksum algorithm at 72, checksum at 448) followed by the JSON area, the whole header size long.
 */
public final class LuksHeader {

    /** How much of the disk is copied and checked: LUKS2's default header and keyslots area. */
    public static final int AREA = 16 * 1024 * 1024;
    static final String CIPHER = "aes-xts-plain64";
    static final String INTEGRITY = "hmac(sha256)";
    private static final byte[] PRIMARY_MAGIC = {'L', 'U', 'K', 'S', (byte) 0xba, (byte) 0xbe};
    private static final byte[] SECONDARY_MAGIC = {'S', 'K', 'U', 'L', (byte) 0xba, (byte) 0xbe};
    private static final int BINARY_HEADER = 4096;
    private static final int CHECKSUM_ALG_AT = 72;
    private static final int CHECKSUM_AT = 448;
    private static final int CHECKSUM_FIELD = 64;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final byte[] sanitized;
    private final long dataOffset;

    private LuksHeader(byte[] sanitized, long dataOffset) {
        this.sanitized = sanitized;
        this.dataOffset = dataOffset;
    }

    /** The volume's header cannot be used; the disk is left as it is. */
    public static final class RefusedException extends IOException {
        private static final long serialVersionUID = 1L;

        RefusedException(String message) {
            super(message);
        }
    }

    /** Whether {@code area} starts with a LUKS header's magic (primary). */
    public static boolean hasMagic(byte[] area) {
        return area.length >= PRIMARY_MAGIC.length && Arrays.equals(area, 0, PRIMARY_MAGIC.length, PRIMARY_MAGIC, 0,
                PRIMARY_MAGIC.length);
    }

    /** Whether every byte of {@code area} is zero: a disk nobody formatted. */
    public static boolean blank(byte[] area) {
        for (byte b : area) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Checks the first {@link #AREA} bytes of a disk.
     *
     * @throws RefusedException naming what is not as this agent formats it
     */
    public static LuksHeader check(byte[] area) throws RefusedException {
        if (area.length != AREA) {
            throw new RefusedException("the header area read is " + area.length + " bytes, not " + AREA);
        }
        if (!hasMagic(area)) {
            throw new RefusedException("no LUKS2 header at the start of the disk");
        }
        int size = headerSize(area, 0, "the primary LUKS2 header");
        JsonNode primary = metadata(area, 0, size, "the primary LUKS2 header");
        if (primary == null) {
            throw new RefusedException("the primary LUKS2 header's checksum does not match");
        }
        List<long[]> keep = new ArrayList<>();
        long dataOffset = checkMetadata(primary, size, "the primary LUKS2 header", keep);
        byte[] copy = new byte[AREA];
        System.arraycopy(area, 0, copy, 0, size);
        boolean secondaryValid = Arrays.equals(area, size, size + SECONDARY_MAGIC.length, SECONDARY_MAGIC, 0,
                SECONDARY_MAGIC.length) && headerSize(area, size, "the secondary LUKS2 header") == size;
        JsonNode secondary = secondaryValid ? metadata(area, size, size, "the secondary LUKS2 header") : null;
        if (secondary != null) {
            long secondaryData = checkMetadata(secondary, size, "the secondary LUKS2 header", keep);
            if (secondaryData != dataOffset) {
                throw new RefusedException("the two LUKS2 headers place the data at different offsets");
            }
            System.arraycopy(area, size, copy, size, size);
        }
        // an invalid secondary stays zero in the copy: cryptsetup then uses the primary alone
        for (long[] slot : keep) {
            System.arraycopy(area, (int) slot[0], copy, (int) slot[0], (int) slot[1]);
        }
        return new LuksHeader(copy, dataOffset);
    }

    /** The copy cryptsetup is given: the checked headers and the keyslot areas, zeros elsewhere. */
    public byte[] sanitized() {
        return sanitized.clone();
    }

    /** Where the encrypted data starts on the disk. */
    public long dataOffset() {
        return dataOffset;
    }

    private static int headerSize(byte[] area, int at, String which) throws RefusedException {
        ByteBuffer b = ByteBuffer.wrap(area, at, BINARY_HEADER);
        b.position(at + 6);
        int version = Short.toUnsignedInt(b.getShort());
        if (version != 2) {
            throw new RefusedException(which + " is LUKS version " + version + ", not 2");
        }
        long size = b.getLong();
        // LUKS2's allowed sizes: 16 KiB ... 4 MiB, powers of two
        if (size < 16384 || size > 4L * 1024 * 1024 || Long.bitCount(size) != 1 || at + 2 * size > AREA) {
            throw new RefusedException(which + " has a header size of " + size + " bytes");
        }
        return (int) size;
    }

    /** The JSON metadata if the header's SHA-256 checksum matches, else null. */
    private static JsonNode metadata(byte[] area, int at, int size, String which) throws RefusedException {
        String alg = cString(area, at + CHECKSUM_ALG_AT, 32);
        if (!alg.equals("sha256")) {
            throw new RefusedException(which + " uses checksum algorithm \"" + alg + "\", not sha256");
        }
        byte[] header = Arrays.copyOfRange(area, at, at + size);
        byte[] stored = Arrays.copyOfRange(header, CHECKSUM_AT, CHECKSUM_AT + 32);
        Arrays.fill(header, CHECKSUM_AT, CHECKSUM_AT + CHECKSUM_FIELD, (byte) 0);
        byte[] computed;
        try {
            computed = MessageDigest.getInstance("SHA-256").digest(header);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        if (!MessageDigest.isEqual(stored, computed)) {
            return null;
        }
        String json = cString(area, at + BINARY_HEADER, size - BINARY_HEADER);
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new RefusedException(which + "'s metadata is not JSON");
        }
    }

    /** Checks one header's metadata; adds its keyslot areas to {@code keep}; returns the data offset. */
    private static long checkMetadata(JsonNode meta, int size, String which, List<long[]> keep)
            throws RefusedException {
        JsonNode segments = meta.path("segments");
        if (!segments.isObject() || segments.size() != 1 || !segments.has("0")) {
            throw new RefusedException(which + " has " + segments.size() + " segments, not one");
        }
        JsonNode segment = segments.path("0");
        if (!segment.path("type").asText().equals("crypt")) {
            throw new RefusedException(which + "'s segment is of type \"" + segment.path("type").asText()
                    + "\", not crypt");
        }
        String cipher = segment.path("encryption").asText();
        if (!cipher.equals(CIPHER)) {
            throw new RefusedException(which + " names cipher \"" + cipher + "\", not " + CIPHER);
        }
        String integrity = segment.path("integrity").path("type").asText();
        if (!integrity.equals(INTEGRITY)) {
            throw new RefusedException(which + " names integrity \"" + integrity + "\", not " + INTEGRITY
                    + " (authenticated encryption)");
        }
        long dataOffset = decimal(segment.path("offset"), which + "'s segment offset");
        if (dataOffset < 2L * size || dataOffset > AREA) {
            throw new RefusedException(which + " places the data at byte " + dataOffset + ", outside "
                    + (2L * size) + ".." + AREA);
        }
        if (meta.path("tokens").size() != 0) {
            throw new RefusedException(which + " carries tokens, which this agent never writes");
        }
        JsonNode requirements = meta.path("config").path("requirements").path("mandatory");
        if (requirements.size() != 0) {
            throw new RefusedException(which + " has mandatory requirements " + requirements
                    + " (an unfinished re-encryption, for one)");
        }
        if (meta.path("config").path("json_size").isMissingNode()
                || decimal(meta.path("config").path("json_size"), which + "'s json_size") != size - BINARY_HEADER) {
            throw new RefusedException(which + "'s json_size does not match its header size");
        }
        JsonNode keyslots = meta.path("keyslots");
        if (!keyslots.isObject() || keyslots.isEmpty()) {
            throw new RefusedException(which + " has no keyslot");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = keyslots.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> slot = it.next();
            long offset = decimal(slot.getValue().path("area").path("offset"), which + " keyslot " + slot.getKey());
            long length = decimal(slot.getValue().path("area").path("size"), which + " keyslot " + slot.getKey());
            if (offset < 2L * size || length <= 0 || offset + length > dataOffset) {
                throw new RefusedException(which + " keyslot " + slot.getKey() + " lies outside the keyslots area");
            }
            // A keyslot the host wrote with cipher_null (or any cipher it chooses) would hand out a
            // volume key it knows under whatever key the guest tries: only the agent's own kind.
            JsonNode value = slot.getValue();
            String areaCipher = value.path("area").path("encryption").asText();
            if (!value.path("type").asText().equals("luks2") || !value.path("area").path("type").asText().equals("raw")
                    || !areaCipher.equals(CIPHER)) {
                throw new RefusedException(which + " keyslot " + slot.getKey() + " is not a luks2 keyslot encrypted with "
                        + CIPHER + " (" + value.path("type").asText() + ", " + areaCipher + ")");
            }
            if (!Set.of("pbkdf2", "argon2i", "argon2id").contains(value.path("kdf").path("type").asText())) {
                throw new RefusedException(which + " keyslot " + slot.getKey() + " uses key derivation \""
                        + value.path("kdf").path("type").asText() + "\"");
            }
            keep.add(new long[] {offset, length});
        }
        for (JsonNode digest : meta.path("digests")) {
            if (!digest.path("type").asText().equals("pbkdf2")) {
                throw new RefusedException(which + " has a digest of type \"" + digest.path("type").asText() + "\"");
            }
        }
        int sectorSize = segment.path("sector_size").asInt(0);
        if (sectorSize != 512 && sectorSize != 4096) {
            throw new RefusedException(which + "'s sector size is " + sectorSize);
        }
        return dataOffset;
    }

    private static long decimal(JsonNode node, String what) throws RefusedException {
        String text = node.asText("");
        if (!text.matches("[0-9]{1,15}")) {
            throw new RefusedException(what + " is not a number of bytes");
        }
        return Long.parseLong(text);
    }

    private static String cString(byte[] area, int at, int max) {
        int end = at;
        while (end < at + max && area[end] != 0) {
            end++;
        }
        return new String(area, at, end - at, StandardCharsets.UTF_8);
    }
}
