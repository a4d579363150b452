package org.cvmagent.rpc;

/**
 * A call would allocate more than the {@link MemoryBudget} has free. Unchecked, so that code
 * between the front end and the handler (a policy gate building its input) can refuse without
 * every interface declaring it; the front ends answer it with RESOURCE_EXHAUSTED.
 */
public final class MemoryBudgetExceededException extends RuntimeException {

    public MemoryBudgetExceededException(String message) {
        super(message);
    }

    /** The status every protocol answers this with. */
    public RpcException toRpcException() {
        return new RpcException(io.grpc.Status.Code.RESOURCE_EXHAUSTED, getMessage(), this);
    }
}
