package org.cvmagent.rpc;

import java.util.List;

/** Composition of gates: every gate in order must let the call through. */
public final class CallGates {

    private CallGates() {
    }

    /** Refused if any gate refuses; redacted if any gate redacts (the stricter verdict wins). */
    public static CallGate all(List<CallGate> gates) {
        List<CallGate> chain = List.copyOf(gates);
        return (context, method, request) -> {
            CallGate.Verdict verdict = CallGate.Verdict.ALLOW;
            for (CallGate gate : chain) {
                if (gate.check(context, method, request) == CallGate.Verdict.REDACT) {
                    verdict = CallGate.Verdict.REDACT;
                }
            }
            return verdict;
        };
    }
}
