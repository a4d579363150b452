package org.cvmagent.image;

import java.io.IOException;
import java.util.Locale;

/** A failed pull, with the reason {@code PullImage}-style errors report to the shim. */
public final class PullException extends IOException {
    public enum Reason {
        NOT_FOUND, AUTH, DIGEST_MISMATCH, UNSUPPORTED_MEDIA_TYPE, NETWORK, INVALID_REFERENCE, INVALID_CONTENT,
        REJECTED_BY_POLICY, UNSAFE_LAYER, STORAGE, DECRYPTION
    }

    private final Reason reason;

    public PullException(Reason reason, String message, Throwable cause) {
        super(reason.name().toLowerCase(Locale.ROOT).replace('_', ' ') + ": " + message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
