package org.cvmagent.attestation.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Message;
import java.util.Map;
import java.util.Optional;
import org.cvmagent.attestation.aael.FakeRtmrs;
import org.cvmagent.attestation.attester.SampleAttester;
import org.cvmagent.proto.attestation.ExtendRuntimeMeasurementRequest;
import org.cvmagent.proto.attestation.ExtendRuntimeMeasurementResponse;
import org.cvmagent.proto.attestation.RuntimeMeasurementResult;
import org.cvmagent.rpc.CallContext;
import org.junit.jupiter.api.Test;

/** CoCo's answers when runtime measurements cannot be made: NOT_SUPPORTED without registers, NOT_ENABLED without a log. */
class ExtendRuntimeMeasurementResultTest {
    private static final CallContext CONTEXT = new CallContext("ttrpc", "test",
            "attestation_agent.AttestationAgentService/ExtendRuntimeMeasurement", Map.of(), CallContext.NO_DEADLINE);
    private static final ExtendRuntimeMeasurementRequest REQUEST = ExtendRuntimeMeasurementRequest.newBuilder()
            .setDomain("d").setOperation("o").setContent("c").build();

    private static RuntimeMeasurementResult call(AttestationAgentHandlers handlers) throws Exception {
        Message response = handlers.binding().method("ExtendRuntimeMeasurement").orElseThrow().handler().orElseThrow()
                .handle(CONTEXT, REQUEST);
        return ((ExtendRuntimeMeasurementResponse) response).getResult();
    }

    @Test
    void withoutRegistersOrWithoutALogNothingIsExtended() throws Exception {
        SampleAttester sample = new SampleAttester(new ObjectMapper());
        assertEquals(RuntimeMeasurementResult.NOT_SUPPORTED,
                call(new AttestationAgentHandlers(sample, Optional.empty(), Optional.empty(), Optional.empty(),
                        Optional.empty())));
        FakeRtmrs rtmrs = new FakeRtmrs();
        assertEquals(RuntimeMeasurementResult.NOT_ENABLED,
                call(new AttestationAgentHandlers(sample, Optional.of(rtmrs), Optional.of(rtmrs), Optional.empty(),
                        Optional.empty())));
        assertTrue(rtmrs.extendsDone().isEmpty(), "no register extend without a log entry");
    }
}
