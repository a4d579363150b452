package org.cvmagent.transport;

import java.io.IOException;
import java.net.SocketTimeoutException;

/** Puts the dialed address in front of a failure, keeping a timeout recognisable as one. */
final class DialFailures {

    private DialFailures() {
    }

    static IOException of(String address, Exception cause) {
        String message = "cannot connect to " + address + ": " + cause.getMessage();
        IOException failure = cause instanceof SocketTimeoutException
                ? new SocketTimeoutException(message)
                : new IOException(message);
        failure.initCause(cause);
        return failure;
    }
}
