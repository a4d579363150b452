package org.cvmagent.transport;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/** Turns kata address text into an {@link AgentAddress}; every rejection names what is wrong. */
final class AgentAddressParser {

    private static final String SCHEMES = "vsock://, unix://, serial://, tcp:// or hvsock://";
    private static final long UINT32_MAX = 0xFFFF_FFFFL;

    private AgentAddressParser() {
    }

    static AgentAddress parse(String text) {
        Objects.requireNonNull(text, "address");
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isWhitespace(c) || Character.isISOControl(c)) {
                throw invalid(text, "contains whitespace or control characters");
            }
        }
        int separator = text.indexOf("://");
        if (separator <= 0) {
            throw invalid(text, "has no scheme; expected " + SCHEMES);
        }
        String scheme = text.substring(0, separator).toLowerCase(Locale.ROOT);
        String rest = text.substring(separator + 3);
        return switch (scheme) {
            case "vsock" -> vsock(text, rest);
            case "unix" -> new AgentAddress.Unix(absolutePath(text, rest, "socket path"));
            case "serial" -> new AgentAddress.Serial(absolutePath(text, rest, "device path"));
            case "tcp" -> tcp(text, rest);
            case "hvsock" -> hybridVsock(text, rest);
            default -> throw invalid(text, "has unknown scheme '" + scheme + "'; expected " + SCHEMES);
        };
    }

    private static AgentAddress vsock(String text, String rest) {
        int colon = rest.indexOf(':');
        if (colon < 0 || rest.indexOf(':', colon + 1) >= 0) {
            throw invalid(text, "must have the form vsock://<cid>:<port>");
        }
        String cidText = rest.substring(0, colon);
        int cid = "-1".equals(cidText)
                ? AgentAddress.Vsock.CID_ANY
                : (int) unsigned(text, cidText, "vsock cid", UINT32_MAX);
        int port = (int) unsigned(text, rest.substring(colon + 1), "vsock port", UINT32_MAX);
        return new AgentAddress.Vsock(cid, port);
    }

    private static AgentAddress tcp(String text, String rest) {
        String host;
        String portText;
        if (rest.startsWith("[")) {
            int close = rest.indexOf(']');
            if (close < 0 || close + 1 >= rest.length() || rest.charAt(close + 1) != ':') {
                throw invalid(text, "must have the form tcp://[<ipv6>]:<port>");
            }
            host = rest.substring(1, close);
            if (host.indexOf(':') < 0) {
                throw invalid(text, "has brackets around '" + host + "', which is not an IPv6 literal");
            }
            portText = rest.substring(close + 2);
        } else {
            int colon = rest.lastIndexOf(':');
            if (colon < 0) {
                throw invalid(text, "must have the form tcp://<host>:<port>");
            }
            host = rest.substring(0, colon);
            if (host.indexOf(':') >= 0) {
                throw invalid(text, "has an IPv6 host outside brackets; write tcp://[<ipv6>]:<port>");
            }
            portText = rest.substring(colon + 1);
        }
        if (host.isEmpty()) {
            throw invalid(text, "has an empty host");
        }
        if (host.indexOf('/') >= 0 || host.indexOf('[') >= 0 || host.indexOf(']') >= 0) {
            throw invalid(text, "has an invalid host '" + host + "'");
        }
        int port = (int) unsigned(text, portText, "tcp port", 65535);
        return new AgentAddress.Tcp(host, port);
    }

    private static AgentAddress hybridVsock(String text, String rest) {
        int colon = rest.lastIndexOf(':');
        if (colon < 0) {
            throw invalid(text, "must have the form hvsock://<absolute unix socket path>:<port>");
        }
        Path path = absolutePath(text, rest.substring(0, colon), "socket path");
        if (path.toString().indexOf(':') >= 0) {
            throw invalid(text, "has ':' in its socket path, which kata's runtime cannot parse");
        }
        int port = (int) unsigned(text, rest.substring(colon + 1), "hvsock port", UINT32_MAX);
        return new AgentAddress.HybridVsock(path, port);
    }

    private static Path absolutePath(String text, String pathText, String what) {
        if (pathText.isEmpty()) {
            throw invalid(text, "has an empty " + what);
        }
        if (pathText.startsWith("@")) {
            throw invalid(text, "names an abstract unix socket, which is not supported; use an absolute path");
        }
        if (!pathText.startsWith("/")) {
            throw invalid(text, "needs an absolute " + what + " (three slashes, as in unix:///run/x.sock)");
        }
        try {
            return Path.of(pathText);
        } catch (InvalidPathException e) {
            throw invalid(text, "has an invalid " + what + ": " + e.getMessage());
        }
    }

    private static long unsigned(String text, String digits, String what, long max) {
        if (digits.isEmpty()) {
            throw invalid(text, "has an empty " + what);
        }
        // Ten decimal digits already exceed 2^32 - 1 at most by a little; more cannot be valid.
        if (digits.length() > 10 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw invalid(text, "has " + what + " '" + digits + "', which is not a number in 0.." + max);
        }
        long value = Long.parseLong(digits);
        if (value > max) {
            throw invalid(text, "has " + what + " " + value + ", which is larger than " + max);
        }
        return value;
    }

    private static IllegalArgumentException invalid(String text, String problem) {
        return new IllegalArgumentException("invalid agent address '" + text + "': it " + problem);
    }
}
