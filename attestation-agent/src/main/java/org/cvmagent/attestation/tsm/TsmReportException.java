package org.cvmagent.attestation.tsm;

/** A configfs-tsm report request that failed; the message names the attribute and the cause. */
public final class TsmReportException extends Exception {
    public TsmReportException(String message) {
        super(message);
    }

    public TsmReportException(String message, Throwable cause) {
        super(message, cause);
    }
}
