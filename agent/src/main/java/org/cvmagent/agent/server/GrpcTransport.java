package org.cvmagent.agent.server;

import java.io.IOException;

/**
 * Whether this installation ships gRPC's transport (grpc-netty-shaded). The host's distribution
 * does; the guest image leaves it out (rootfs/build), since a confidential agent takes
 * {@code grpc_server_addr} from the image's own agent.toml only and that sets none. An image that
 * set one anyway fails at start with this message instead of a NoClassDefFoundError.
 */
final class GrpcTransport {

    static final String NETTY_SERVER_BUILDER = "io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder";

    private GrpcTransport() {
    }

    /** Throws unless {@code loader} finds the transport; loads nothing else (no initialisation). */
    static void requireAvailable(ClassLoader loader) throws IOException {
        try {
            Class.forName(NETTY_SERVER_BUILDER, false, loader);
        } catch (ClassNotFoundException e) {
            throw new IOException("grpc_server_addr is set, but this installation ships no gRPC transport"
                    + " (grpc-netty-shaded is not on the class path; the guest image leaves it out)", e);
        }
    }
}
