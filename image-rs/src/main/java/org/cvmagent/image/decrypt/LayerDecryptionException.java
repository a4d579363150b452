package org.cvmagent.image.decrypt;

import java.io.IOException;
import java.util.Locale;
import org.cvmagent.image.registry.Digest;

/** An encrypted layer that cannot be decrypted, or an unencrypted one a policy refuses; names the layer. */
public final class LayerDecryptionException extends IOException {
    public enum Reason {
        /** no decryption key is configured, or none fits the layer's wrapped keys */
        NO_KEY,
        /** a key is configured but does not unwrap the layer's key (another recipient's image) */
        WRONG_KEY,
        /** the ciphertext does not match its HMAC */
        TAMPERED,
        /** a cipher or key wrapping this agent does not implement */
        UNSUPPORTED,
        /** malformed encryption annotations or options */
        INVALID,
        /** the policy requires encrypted layers and this one is not */
        NOT_ENCRYPTED
    }

    private final Reason reason;
    private final Digest layer;

    public LayerDecryptionException(Reason reason, Digest layer, String detail, Throwable cause) {
        super("layer " + layer + ": " + reason.name().toLowerCase(Locale.ROOT).replace('_', ' ') + ": " + detail, cause);
        this.reason = reason;
        this.layer = layer;
    }

    public LayerDecryptionException(Reason reason, Digest layer, String detail) {
        this(reason, layer, detail, null);
    }

    public Reason reason() {
        return reason;
    }

    public Digest layer() {
        return layer;
    }
}
