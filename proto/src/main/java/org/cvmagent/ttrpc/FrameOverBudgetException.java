package org.cvmagent.ttrpc;

import org.cvmagent.rpc.MemoryBudget;

import java.io.IOException;

/**
 * A frame's payload would take more than the memory budget for requests in flight has free. The
 * reader has already skipped it (without holding it), so the connection can go on and the peer
 * can be answered RESOURCE_EXHAUSTED.
 */
public final class FrameOverBudgetException extends IOException {

    private final int streamId;
    private final byte type;

    public FrameOverBudgetException(int streamId, byte type, long length, MemoryBudget budget) {
        super("ttrpc frame on stream " + Integer.toUnsignedString(streamId) + " has " + length
                + " bytes, more than the agent's budget for requests in flight has free ("
                + Math.max(0, budget.limit() - budget.held()) + " of " + budget.limit() + " bytes); try again later");
        this.streamId = streamId;
        this.type = type;
    }

    public int streamId() {
        return streamId;
    }

    public byte type() {
        return type;
    }
}
