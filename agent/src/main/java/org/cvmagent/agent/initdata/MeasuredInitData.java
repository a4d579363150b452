package org.cvmagent.agent.initdata;

import org.cvmagent.agent.policy.InitData;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.Optional;

/**
 * Init-data as the host delivered it: the exact TOML bytes (after kata's gzip or base64 wrapping is
 * taken off, never trimmed or re-encoded, since its owner measured those bytes), the document they
 * parse to, and where it came from. Validated as kata validates it: version 0.1.0 and one of the
 * digest algorithms sha256, sha384, sha512.
 *
 * @param toml     the TOML bytes whose digest the TEE's launch field holds
 * @param document the parsed document
 * @param origin   where the bytes came from, for messages
 */
public record MeasuredInitData(byte[] toml, InitData document, String origin) {

    static final String VERSION = "0.1.0";
    private static final Map<String, String> ALGORITHMS = Map.of("sha256", "SHA-256", "sha384", "SHA-384",
            "sha512", "SHA-512");

    public MeasuredInitData {
        toml = toml.clone();
    }

    /**
     * @throws IllegalArgumentException the bytes are not UTF-8 TOML in the init-data format, or name
     *                                  a version or algorithm kata does not accept
     */
    public static MeasuredInitData of(byte[] toml, String origin) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(toml)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("init-data from " + origin + " is not UTF-8 text", e);
        }
        InitData document = InitData.parseToml(text);
        if (!VERSION.equals(document.version())) {
            throw new IllegalArgumentException("init-data from " + origin + " has version '" + document.version()
                    + "'; only " + VERSION + " is supported");
        }
        if (!ALGORITHMS.containsKey(document.algorithm())) {
            throw new IllegalArgumentException("init-data from " + origin + " names the digest algorithm '"
                    + document.algorithm() + "'; supported: sha256, sha384, sha512");
        }
        return new MeasuredInitData(toml, document, origin);
    }

    @Override
    public byte[] toml() {
        return toml.clone();
    }

    /** The TOML as text: what the KBS protocol carries as the evidence's init-data. */
    public String text() {
        return new String(toml, StandardCharsets.UTF_8);
    }

    /** The digest of the exact bytes with the algorithm the document names. */
    public byte[] digest() {
        try {
            return MessageDigest.getInstance(ALGORITHMS.get(document.algorithm())).digest(toml);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks " + document.algorithm(), e);
        }
    }

    public Optional<String> entry(String name) {
        return Optional.ofNullable(document.data().get(name));
    }
}
