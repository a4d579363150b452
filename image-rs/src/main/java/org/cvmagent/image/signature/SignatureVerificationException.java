package org.cvmagent.image.signature;

import java.util.Objects;

/**
 * The image may not be used: the policy rejected it, or its configuration or signatures could not be
 * evaluated. The {@link Reason} is what the shim reports back; the message says which rule or field.
 */
public final class SignatureVerificationException extends Exception {

    /** Why an image was refused, from the caller's point of view. */
    public enum Reason {
        /** A {@code reject} requirement applies to this image. */
        REJECTED_BY_POLICY("rejected by policy"),
        /** A signature was required and none exists. */
        NO_SIGNATURE("no signature"),
        /** Signatures exist, but none was made by a trusted key (or none could be verified). */
        WRONG_KEY("wrong key"),
        /** A signature made by a trusted key is malformed (payload, type, encoding). */
        INVALID_SIGNATURE("invalid signature"),
        /** A trusted signature is for a different manifest than the one pulled. */
        DIGEST_MISMATCH("digest mismatch"),
        /** A trusted signature is for this manifest, but names an identity the policy does not accept. */
        IDENTITY_MISMATCH("identity mismatch"),
        /** The policy, registries.d configuration or key material is malformed or unsupported. */
        INVALID_POLICY("invalid policy"),
        /** Signatures, keys or configuration could not be fetched (I/O, HTTP or KBS error). */
        RESOURCE_UNAVAILABLE("resource unavailable");

        private final String text;

        Reason(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }
    }

    private static final long serialVersionUID = 1L;

    private final Reason reason;

    public SignatureVerificationException(Reason reason, String message) {
        super(reason.text() + ": " + message);
        this.reason = Objects.requireNonNull(reason);
    }

    public SignatureVerificationException(Reason reason, String message, Throwable cause) {
        super(reason.text() + ": " + message, cause);
        this.reason = Objects.requireNonNull(reason);
    }

    public Reason reason() {
        return reason;
    }

    /** The message without its leading reason, for wrapping in a message with more context. */
    public String detail() {
        String prefix = reason.text() + ": ";
        String message = getMessage();
        return message.startsWith(prefix) ? message.substring(prefix.length()) : message;
    }

    static SignatureVerificationException invalidPolicy(String message) {
        return new SignatureVerificationException(Reason.INVALID_POLICY, message);
    }
}
