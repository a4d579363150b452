package org.cvmagent.agent.initdata;

/** The guest must not serve: init-data does not match the TEE, or a confidential image has no TEE. */
public final class InitDataRejectedException extends Exception {
    public InitDataRejectedException(String message) {
        super(message);
    }

    public InitDataRejectedException(String message, Throwable cause) {
        super(message, cause);
    }
}
