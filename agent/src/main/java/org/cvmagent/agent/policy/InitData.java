package org.cvmagent.agent.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPInputStream;

/**
 * Confidential Containers init-data: a TOML document
 * <pre>
 * algorithm = "sha384"
 * version = "0.1.0"
 * [data]
 * "aa.toml" = '''...'''
 * "cdh.toml" = '''...'''
 * "policy.rego" = '''...'''
 * </pre>
 * whose digest the TEE measures, so a policy carried in it is bound to the attestation. Kubernetes
 * users (OpenShift sandboxed containers among them) pass it gzip-compressed and base64-encoded in
 * the {@code io.katacontainers.config.hypervisor.cc_init_data} annotation; {@link #parse} takes
 * either form.
 *
 * @param algorithm the digest algorithm the host used
 * @param version   the init-data format version
 * @param data      the {@code [data]} entries by file name
 */
public record InitData(String algorithm, String version, Map<String, String> data) {

    public static final String POLICY_ENTRY = "policy.rego";

    /** Larger than any realistic policy; bounds what a gzip bomb can make us allocate. */
    public static final int MAX_DECOMPRESSED = 16 * 1024 * 1024;

    public InitData {
        data = Collections.unmodifiableMap(new LinkedHashMap<>(data));
    }

    /**
     * The TOML document itself: {@code text} exactly as given (never trimmed: its owner measured
     * these bytes), or decoded from base64 of its gzip compression.
     */
    public static String toml(String text) {
        String trimmed = text.strip();
        return looksLikeBase64(trimmed) ? new String(gunzip(Base64.getMimeDecoder().decode(trimmed)),
                StandardCharsets.UTF_8) : text;
    }

    /**
     * The TOML bytes of a file's content: the content itself, or what its base64-of-gzip text
     * decodes to.
     */
    public static byte[] tomlBytes(byte[] content) {
        String text = new String(content, StandardCharsets.ISO_8859_1).strip();
        return looksLikeBase64(text) ? gunzip(Base64.getMimeDecoder().decode(text)) : content.clone();
    }

    /** gzip-compressed TOML (kata's init-data device payload), bounded in size. */
    public static byte[] gunzip(byte[] compressed) {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(compressed))) {
            byte[] bytes = in.readNBytes(MAX_DECOMPRESSED + 1);
            if (bytes.length > MAX_DECOMPRESSED) {
                throw new IllegalArgumentException("init-data is larger than " + MAX_DECOMPRESSED + " bytes decompressed");
            }
            return bytes;
        } catch (IOException e) {
            throw new IllegalArgumentException("init-data is not gzip-compressed TOML: " + e.getMessage(), e);
        }
    }

    /** The agent policy carried in the init-data, if any. */
    public Optional<String> policy() {
        return Optional.ofNullable(data.get(POLICY_ENTRY));
    }

    /**
     * @param text plain TOML, or base64 of its gzip compression
     * @throws IllegalArgumentException when the text is neither, or the TOML lacks the format's fields
     */
    public static InitData parse(String text) {
        return parseToml(toml(text));
    }

    /** The document from TOML text exactly as given. */
    public static InitData parseToml(String toml) {
        JsonNode root;
        try {
            root = new TomlMapper().readTree(toml);
        } catch (IOException e) {
            throw new IllegalArgumentException("init-data is not valid TOML: " + e.getMessage(), e);
        }
        String algorithm = requiredText(root, "algorithm");
        String version = requiredText(root, "version");
        Map<String, String> data = new LinkedHashMap<>();
        JsonNode table = root.get("data");
        if (table != null) {
            if (!table.isObject()) {
                throw new IllegalArgumentException("init-data: [data] is not a table");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = table.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> entry = it.next();
                if (!entry.getValue().isTextual()) {
                    throw new IllegalArgumentException("init-data: data." + entry.getKey() + " is not a string");
                }
                data.put(entry.getKey(), entry.getValue().textValue());
            }
        }
        return new InitData(algorithm, version, data);
    }

    /** TOML always has '=' after a key and spaces or newlines; base64 of gzip starts "H4sI". */
    private static boolean looksLikeBase64(String text) {
        return text.startsWith("H4sI") && text.chars().allMatch(c -> Character.isLetterOrDigit(c)
                || c == '+' || c == '/' || c == '=' || c == '\n' || c == '\r');
    }

    private static String requiredText(JsonNode root, String field) {
        JsonNode value = root.get(field);
        if (value == null || !value.isTextual()) {
            throw new IllegalArgumentException("init-data has no '" + field + "' string");
        }
        return value.textValue();
    }
}
