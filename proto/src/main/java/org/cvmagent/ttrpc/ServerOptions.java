package org.cvmagent.ttrpc;

/**
 * Limits of a {@link TtrpcServer}.
 *
 * @param maxPayload            largest frame payload accepted or sent (containerd: 4 MiB)
 * @param maxCallsPerConnection calls one connection may have in flight; more are refused with
 *                              RESOURCE_EXHAUSTED so a hostile peer cannot spawn without bound
 * @param maxConnections        connections served at once; more are closed on accept
 */
public record ServerOptions(int maxPayload, int maxCallsPerConnection, int maxConnections) {

    public static final ServerOptions DEFAULTS = new ServerOptions(Frame.DEFAULT_MAX_PAYLOAD, 4096, 512);

    public ServerOptions {
        if (maxPayload < 1 || maxCallsPerConnection < 1 || maxConnections < 1) {
            throw new IllegalArgumentException("server limits must be positive");
        }
    }
}
