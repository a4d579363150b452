package org.cvmagent.agent.network;

import org.cvmagent.rpc.RpcException;

/**
 * A network tool that failed, mapped to the status a shim can act on: the kernel's "No such
 * device" or "Cannot find device" is NOT_FOUND, "Invalid argument" or a malformed value
 * INVALID_ARGUMENT, anything else INTERNAL — always with the tool's own words.
 */
record NetworkCommandFailure(String command, String reason) {
    RpcException toRpc() {
        String message = command + ": " + (reason.isEmpty() ? "failed without a message" : reason);
        String r = reason.toLowerCase(java.util.Locale.ROOT);
        if (r.contains("cannot find device") || r.contains("no such device")) {
            return RpcException.notFound(message);
        }
        if (r.contains("invalid argument") || r.contains("invalid prefix") || r.contains("is not a valid")
                || r.contains("error: ") && r.contains("expected")) {
            return RpcException.invalidArgument(message);
        }
        return new RpcException(io.grpc.Status.Code.INTERNAL, message);
    }
}
