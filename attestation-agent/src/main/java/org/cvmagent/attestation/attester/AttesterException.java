package org.cvmagent.attestation.attester;

/** Evidence could not be produced: the TEE refused, the device failed, or the input was invalid. */
public class AttesterException extends Exception {
    private static final long serialVersionUID = 1L;

    public AttesterException(String message) {
        super(message);
    }

    public AttesterException(String message, Throwable cause) {
        super(message, cause);
    }
}
