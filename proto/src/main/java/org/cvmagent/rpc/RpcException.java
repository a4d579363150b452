package org.cvmagent.rpc;

import io.grpc.Status;

import java.util.Objects;

/**
 * A call failed with a gRPC status code. Handlers throw it; the ttRPC and gRPC front ends turn it
 * into their own wire status, so the same code and message reach every client.
 */
public final class RpcException extends Exception {

    private final Status.Code code;

    public RpcException(Status.Code code, String message) {
        this(code, message, null);
    }

    public RpcException(Status.Code code, String message, Throwable cause) {
        super(Objects.requireNonNull(message, "message"), cause);
        if (code == Status.Code.OK) {
            throw new IllegalArgumentException("an RpcException cannot carry OK");
        }
        this.code = Objects.requireNonNull(code, "code");
    }

    public Status.Code code() {
        return code;
    }

    public static RpcException unimplemented(String fullMethodName) {
        return new RpcException(Status.Code.UNIMPLEMENTED, fullMethodName + " is not implemented");
    }

    public static RpcException invalidArgument(String message) {
        return new RpcException(Status.Code.INVALID_ARGUMENT, message);
    }

    public static RpcException notFound(String message) {
        return new RpcException(Status.Code.NOT_FOUND, message);
    }

    public static RpcException permissionDenied(String message) {
        return new RpcException(Status.Code.PERMISSION_DENIED, message);
    }

    public static RpcException internal(String message, Throwable cause) {
        return new RpcException(Status.Code.INTERNAL, message, cause);
    }

    @Override
    public String toString() {
        return code + ": " + getMessage();
    }
}
