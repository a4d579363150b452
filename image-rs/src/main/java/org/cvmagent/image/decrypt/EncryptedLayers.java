package org.cvmagent.image.decrypt;

import java.util.Map;

/**
 * ocicrypt's layer encryption as it appears in a manifest: the {@code +encrypted} media types
 * and the {@code org.opencontainers.image.enc.*} annotations.
 */
public final class EncryptedLayers {
    public static final String SUFFIX = "+encrypted";
    /** Comma-separated base64 JWEs (JSON serialization), each wrapping the private options for one recipient. */
    public static final String JWE_KEYS = "org.opencontainers.image.enc.keys.jwe";
    /** CoCo's key provider: base64 JSON naming the KBS key-encryption key ({@code kid}) and the wrapped options. */
    public static final String PROVIDER_KEYS = "org.opencontainers.image.enc.keys.provider.attestation-agent";
    /** Base64 JSON of the public options: cipher and HMAC. */
    public static final String PUBOPTS = "org.opencontainers.image.enc.pubopts";

    private EncryptedLayers() {
    }

    public static boolean isEncrypted(String mediaType) {
        return mediaType != null && mediaType.endsWith(SUFFIX);
    }

    /** The media type of the layer once decrypted ({@code ...tar+gzip} for {@code ...tar+gzip+encrypted}). */
    public static String plainMediaType(String mediaType) {
        return isEncrypted(mediaType) ? mediaType.substring(0, mediaType.length() - SUFFIX.length()) : mediaType;
    }

    static String annotation(Map<String, String> annotations, String key) {
        if (annotations == null) {
            return null;
        }
        String v = annotations.get(key);
        return v == null || v.isBlank() ? null : v.strip();
    }
}
