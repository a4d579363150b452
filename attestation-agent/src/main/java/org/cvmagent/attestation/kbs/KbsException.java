package org.cvmagent.attestation.kbs;

/** A KBS operation failed; {@link #kind()} says how, the message says why (never with secrets). */
public class KbsException extends Exception {
    private static final long serialVersionUID = 1L;

    /** How an operation failed, so callers can tell a retryable failure from a refusal. */
    public enum Kind {
        /** The configuration is unusable (bad URL, bad certificate, plain HTTP not allowed). */
        CONFIGURATION,
        /** The KBS could not be reached or answered 5xx; retried before being reported. */
        TRANSPORT,
        /** The KBS answered something the protocol does not allow. */
        PROTOCOL,
        /** The attester could not produce evidence. */
        EVIDENCE,
        /** The KBS refused the evidence (wrong nonce, bad report data, policy). */
        ATTESTATION_REJECTED,
        /** The KBS refused the session or token even after a fresh attestation. */
        UNAUTHORIZED,
        /** The KBS policy does not release this resource to this guest. */
        FORBIDDEN,
        /** The KBS has no such resource. */
        NOT_FOUND,
        /** The resource response could not be decrypted with the TEE key. */
        DECRYPTION
    }

    private final Kind kind;

    public KbsException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public KbsException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    @Override
    public String getMessage() {
        return kind + ": " + super.getMessage();
    }
}
