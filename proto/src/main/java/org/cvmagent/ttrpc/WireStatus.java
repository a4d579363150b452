package org.cvmagent.ttrpc;

import com.google.rpc.Status;
import io.grpc.Status.Code;
import org.cvmagent.rpc.RpcException;

/** Conversions between our {@link RpcException} and ttRPC's {@code google.rpc.Status}. */
public final class WireStatus {

    private WireStatus() {
    }

    public static Status of(RpcException e) {
        return Status.newBuilder().setCode(e.code().value()).setMessage(e.getMessage()).build();
    }

    public static Status of(Code code, String message) {
        return Status.newBuilder().setCode(code.value()).setMessage(message).build();
    }

    /** The exception a client raises for a non-OK status. */
    public static RpcException toException(Status status) {
        Code code = io.grpc.Status.fromCodeValue(status.getCode()).getCode();
        if (code == Code.OK) {
            code = Code.UNKNOWN;
        }
        return new RpcException(code, status.getMessage());
    }
}
