package org.cvmagent.agent.policy;

import com.fasterxml.jackson.databind.node.BooleanNode;
import com.google.protobuf.ByteString;
import org.cvmagent.proto.agent.WriteStreamRequest;
import org.cvmagent.rpc.MemoryBudget;
import org.cvmagent.rpc.MemoryBudgetExceededException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The policy input is charged to the call's reservation before it is built, and only when read. */
class PolicyInputBudgetTest {

    private static final WriteStreamRequest FOUR_MIB = WriteStreamRequest.newBuilder().setContainerId("c")
            .setData(ByteString.copyFrom(new byte[4 << 20])).build();

    private final AtomicInteger queries = new AtomicInteger();

    private RegoPolicyEngine engine(boolean loaded) {
        RegoPolicyEngine engine = new RegoPolicyEngine(new FakeRego().with("p", new FakeRego.Policy()
                .rule("WriteStreamRequest", (input, data) -> {
                    queries.incrementAndGet();
                    assertEquals(4 << 20, input.get("data").size(), "kata's shape: the bytes as an array");
                    return new RegoEvaluator.Evaluation(java.util.Optional.of(BooleanNode.TRUE), java.util.List.of());
                })), Duration.ofSeconds(5), CopyFileInput.Shape.KATA, DecisionLog.standard());
        if (loaded) {
            engine.loadInitial("p", "test");
        }
        return engine;
    }

    @Test
    void noPolicyBuildsNoInput() {
        MemoryBudget budget = new MemoryBudget(1024);
        try (MemoryBudget.Reservation memory = budget.tryReserve(0).orElseThrow()) {
            assertTrue(engine(false).evaluate("WriteStreamRequest", FOUR_MIB, memory).allowed());
            assertEquals(0, memory.bytes(), "nothing reserved: nothing built");
        }
        try (MemoryBudget.Reservation memory = budget.tryReserve(0).orElseThrow()) {
            assertTrue(PolicyEngine.NONE.evaluate("WriteStreamRequest", FOUR_MIB, memory).allowed());
            assertEquals(0, memory.bytes());
        }
    }

    @Test
    void aLoadedPolicyGetsKatasShapeWithItsCostReserved() {
        MemoryBudget budget = new MemoryBudget(1L << 30);
        try (MemoryBudget.Reservation memory = budget.tryReserve(0).orElseThrow()) {
            assertTrue(engine(true).evaluate("WriteStreamRequest", FOUR_MIB, memory).allowed());
            assertTrue(memory.bytes() >= PolicyInputCost.of(FOUR_MIB), "reserved " + memory.bytes());
            assertEquals(1, queries.get());
        }
        assertEquals(0, budget.held());
    }

    @Test
    void overTheBudgetTheInputIsNotBuiltAndThePolicyNotAsked() {
        MemoryBudget budget = new MemoryBudget(16L << 20);
        try (MemoryBudget.Reservation memory = budget.tryReserve(0).orElseThrow()) {
            MemoryBudgetExceededException e = assertThrows(MemoryBudgetExceededException.class,
                    () -> engine(true).evaluate("WriteStreamRequest", FOUR_MIB, memory));
            assertTrue(e.getMessage().contains("policy input of WriteStreamRequest"), e.getMessage());
            assertEquals(0, queries.get());
        }
        assertEquals(0, budget.held());
    }
}
