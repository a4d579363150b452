package org.cvmagent.attestation.cdh;

/** A resource URI is not of the form {@code kbs://[<kbs-host>]/<repository>/<type>/<tag>}. */
public class InvalidResourceUriException extends Exception {
    private static final long serialVersionUID = 1L;

    public InvalidResourceUriException(String message) {
        super(message);
    }
}
