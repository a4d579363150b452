package org.cvmagent.transport;

import java.io.IOException;
import java.time.Duration;

/** Opens connections to one address. Each call makes one attempt; retrying is the caller's choice. */
public interface Dialer {

    /**
     * Connects, including any handshake the transport needs (TLS, hybrid vsock CONNECT).
     *
     * @param timeout positive bound on the whole attempt
     * @throws java.net.SocketTimeoutException when the timeout passed
     * @throws IOException when the peer refused or the transport failed, with the address in the message
     */
    Connection dial(Duration timeout) throws IOException;

    /** The address dialed, in kata form. */
    String address();
}
