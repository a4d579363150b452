package org.cvmagent.rpc;

import java.util.List;

/** Composition of gates: every gate in order must allow. */
public final class CallGates {

    private CallGates() {
    }

    public static CallGate all(List<CallGate> gates) {
        List<CallGate> chain = List.copyOf(gates);
        return (context, method, request) -> {
            for (CallGate gate : chain) {
                gate.check(context, method, request);
            }
        };
    }
}
