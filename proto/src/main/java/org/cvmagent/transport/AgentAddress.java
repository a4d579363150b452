package org.cvmagent.transport;

import java.nio.file.Path;
import java.util.Objects;

/**
 * An endpoint in kata's address syntax. {@link #parse(String)} accepts
 * <ul>
 *   <li>{@code vsock://<cid>:<port>} — {@code -1} stands for {@code VMADDR_CID_ANY} (kata's default
 *       agent address is {@code vsock://-1:1024});</li>
 *   <li>{@code unix://<absolute path>};</li>
 *   <li>{@code serial://<absolute device path>} — a virtio-serial port, guest side only;</li>
 *   <li>{@code tcp://<host>:<port>} — IPv6 literals in brackets;</li>
 *   <li>{@code hvsock://<absolute unix socket path>:<port>} — the host side of a hybrid vsock
 *       (Firecracker, Cloud Hypervisor), as the kata runtime writes it.</li>
 * </ul>
 * {@link #toString()} gives the canonical form, which parses back to an equal address.
 */
public sealed interface AgentAddress {

    /** kata-agent's default: listen on any CID, port 1024. */
    String DEFAULT = "vsock://-1:1024";

    /**
     * Parses an address.
     *
     * @throws IllegalArgumentException naming the offending part when the text is not a valid address
     */
    static AgentAddress parse(String text) {
        return AgentAddressParser.parse(text);
    }

    /** {@code vsock://<cid>:<port>}; cid and port are unsigned 32-bit values held in an int. */
    record Vsock(int cid, int port) implements AgentAddress {
        /** {@code VMADDR_CID_ANY}, written {@code -1} in kata addresses. */
        public static final int CID_ANY = 0xFFFFFFFF;
        /** {@code VMADDR_CID_LOCAL}: the loopback CID (needs the vsock_loopback transport). */
        public static final int CID_LOCAL = 1;
        /** {@code VMADDR_CID_HOST}. */
        public static final int CID_HOST = 2;
        /** {@code VMADDR_PORT_ANY}: let the kernel choose a port when binding. */
        public static final int PORT_ANY = 0xFFFFFFFF;

        @Override
        public String toString() {
            String cidText = cid == CID_ANY ? "-1" : Integer.toUnsignedString(cid);
            return "vsock://" + cidText + ":" + Integer.toUnsignedString(port);
        }
    }

    /** {@code unix://<absolute path>}. */
    record Unix(Path path) implements AgentAddress {
        public Unix {
            requireAbsolute(path, "unix");
        }

        @Override
        public String toString() {
            return "unix://" + path;
        }
    }

    /** {@code serial://<absolute device path>}, e.g. {@code serial:///dev/virtio-ports/agent.channel.0}. */
    record Serial(Path device) implements AgentAddress {
        public Serial {
            requireAbsolute(device, "serial");
        }

        @Override
        public String toString() {
            return "serial://" + device;
        }
    }

    /** {@code tcp://<host>:<port>}; {@code host} is a name, an IPv4 literal or a bare IPv6 literal. */
    record Tcp(String host, int port) implements AgentAddress {
        public Tcp {
            Objects.requireNonNull(host, "host");
            if (host.isEmpty()) {
                throw new IllegalArgumentException("tcp address needs a host");
            }
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("tcp port " + port + " is outside 0..65535");
            }
        }

        @Override
        public String toString() {
            String hostText = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
            return "tcp://" + hostText + ":" + port;
        }
    }

    /**
     * {@code hvsock://<absolute unix socket path>:<port>}: connect to the hypervisor's unix socket and
     * ask it, with {@code CONNECT <port>}, to bridge to the guest's vsock port.
     */
    record HybridVsock(Path socketPath, int port) implements AgentAddress {
        public HybridVsock {
            requireAbsolute(socketPath, "hvsock");
            if (socketPath.toString().indexOf(':') >= 0) {
                // kata's runtime splits the path on ':' and would misread such a path.
                throw new IllegalArgumentException("hvsock socket path must not contain ':': " + socketPath);
            }
        }

        @Override
        public String toString() {
            return "hvsock://" + socketPath + ":" + Integer.toUnsignedString(port);
        }
    }

    private static void requireAbsolute(Path path, String scheme) {
        Objects.requireNonNull(path, "path");
        if (!path.isAbsolute()) {
            throw new IllegalArgumentException(scheme + " address needs an absolute path, got '" + path + "'");
        }
    }
}
