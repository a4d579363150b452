package org.cvmagent.image.registry;

import java.io.IOException;

/**
 * A registry or content failure with a reason the shim can show. It is an {@link IOException}
 * so that a verifying stream can raise it from {@code read()} at end of data.
 */
public class RegistryException extends IOException {
    /** Why a pull failed, in the words a user of {@code PullImage} expects. */
    public enum Reason {
        NOT_FOUND("not found"),
        AUTH("authentication failed"),
        DIGEST_MISMATCH("digest mismatch"),
        UNSUPPORTED_MEDIA_TYPE("unsupported media type"),
        NETWORK("network error"),
        INVALID("invalid reference or content");

        private final String text;

        Reason(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }
    }

    private final Reason reason;
    private final String detail;

    public RegistryException(Reason reason, String message) {
        super(reason.text() + ": " + message);
        this.reason = reason;
        this.detail = message;
    }

    public RegistryException(Reason reason, String message, Throwable cause) {
        super(reason.text() + ": " + message, cause);
        this.reason = reason;
        this.detail = message;
    }

    public Reason reason() {
        return reason;
    }

    /**
     * The message without its leading reason, for an exception that wraps this one and states
     * the reason itself (else the reader sees "digest mismatch: digest mismatch: ...").
     */
    public String detail() {
        return detail;
    }
}
