package org.cvmagent.agent.server;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GrpcTransportTest {

    @Test
    void theHostsClassPathHasTheTransport() {
        assertDoesNotThrow(() -> GrpcTransport.requireAvailable(GrpcTransport.class.getClassLoader()));
    }

    /** As in the guest image, whose class path leaves grpc-netty-shaded out. */
    @Test
    void withoutTheTransportAGrpcAddressIsAClearStartError() throws IOException {
        try (URLClassLoader withoutNetty = new URLClassLoader(new URL[0], ClassLoader.getPlatformClassLoader())) {
            IOException e = assertThrows(IOException.class, () -> GrpcTransport.requireAvailable(withoutNetty));
            assertTrue(e.getMessage().contains("grpc_server_addr is set")
                    && e.getMessage().contains("grpc-netty-shaded"), e.getMessage());
        }
    }
}
