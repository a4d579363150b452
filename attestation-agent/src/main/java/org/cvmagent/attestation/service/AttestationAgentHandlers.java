package org.cvmagent.attestation.service;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import java.io.IOException;
import java.util.Optional;
import org.cvmagent.attestation.aael.AaelEvent;
import org.cvmagent.attestation.aael.RuntimeEventLog;
import org.cvmagent.attestation.attester.Attester;
import org.cvmagent.attestation.attester.AttesterException;
import org.cvmagent.attestation.attester.InitDataBinding;
import org.cvmagent.attestation.attester.TeeMeasurements;
import org.cvmagent.attestation.kbs.KbsClient;
import org.cvmagent.attestation.kbs.KbsException;
import org.cvmagent.proto.attestation.AttestationAgentServiceGrpc;
import org.cvmagent.proto.attestation.BindInitDataResponse;
import org.cvmagent.proto.attestation.ExtendRuntimeMeasurementResponse;
import org.cvmagent.proto.attestation.GetAdditionalTeesResponse;
import org.cvmagent.proto.attestation.GetEvidenceResponse;
import org.cvmagent.proto.attestation.GetTeeTypeResponse;
import org.cvmagent.proto.attestation.GetTokenResponse;
import org.cvmagent.proto.attestation.RuntimeMeasurementResult;
import org.cvmagent.rpc.RpcException;
import org.cvmagent.rpc.ServiceBinding;

/**
 * CoCo's attestation-agent API (attestation_agent.AttestationAgentService) over this guest's TEE:
 * evidence for runtime data, a KBS token, runtime measurements and the init-data check.
 */
public final class AttestationAgentHandlers {
    private final Attester attester;
    private final Optional<TeeMeasurements> measurements;
    private final Optional<InitDataBinding> initData;
    private final Optional<RuntimeEventLog> eventLog;
    private final Optional<KbsClient> kbs;

    /**
     * @param initData the TEE's launch-time field for BindInitData; empty where the TEE has none
     * @param eventLog the AAEL runtime event log over {@code measurements}; empty when aa.toml does
     *                 not enable it, in which case ExtendRuntimeMeasurement answers NOT_ENABLED as
     *                 CoCo's AA does (never a register extend without a log entry: that could not be
     *                 replayed by a verifier)
     */
    public AttestationAgentHandlers(Attester attester, Optional<TeeMeasurements> measurements,
                                    Optional<InitDataBinding> initData, Optional<RuntimeEventLog> eventLog,
                                    Optional<KbsClient> kbs) {
        this.attester = attester;
        this.measurements = measurements;
        this.initData = initData;
        this.eventLog = eventLog;
        this.kbs = kbs;
    }

    public ServiceBinding binding() {
        return ServiceBinding.of(AttestationAgentServiceGrpc.getServiceDescriptor())
                .unary(AttestationAgentServiceGrpc.getGetEvidenceMethod(), (ctx, req) ->
                        GetEvidenceResponse.newBuilder().setEvidence(evidence(req.getRuntimeData().toByteArray()))
                                .build())
                .unary(AttestationAgentServiceGrpc.getGetAdditionalEvidenceMethod(), (ctx, req) ->
                        // no secondary TEE (device) is attached to this guest: the empty set of their evidence
                        GetEvidenceResponse.newBuilder().setEvidence(ByteString.copyFromUtf8("{}")).build())
                .unary(AttestationAgentServiceGrpc.getGetTokenMethod(), (ctx, req) -> token(req.getTokenType()))
                .unary(AttestationAgentServiceGrpc.getExtendRuntimeMeasurementMethod(), (ctx, req) ->
                        ExtendRuntimeMeasurementResponse.newBuilder().setResult(extend(req.getDomain(),
                                req.getOperation(), req.getContent(),
                                req.hasRegisterIndex() ? Optional.of(req.getRegisterIndex()) : Optional.empty()))
                                .build())
                .unary(AttestationAgentServiceGrpc.getBindInitDataMethod(), (ctx, req) -> {
                    if (req.getDigest().isEmpty()) {
                        throw RpcException.invalidArgument("BindInitData: Digest is empty");
                    }
                    // a TEE without a launch-time field cannot be checked: CoCo's AA accepts that too
                    if (initData.isPresent()) {
                        try {
                            if (!initData.get().initDataMatches(req.getDigest().toByteArray())) {
                                throw new RpcException(Status.Code.FAILED_PRECONDITION,
                                        "BindInitData: the init-data digest differs from the one the TEE was launched with");
                            }
                        } catch (IOException e) {
                            throw new RpcException(Status.Code.FAILED_PRECONDITION, "BindInitData: " + e.getMessage(), e);
                        }
                    }
                    return BindInitDataResponse.getDefaultInstance();
                })
                .unary(AttestationAgentServiceGrpc.getGetTeeTypeMethod(), (ctx, req) ->
                        GetTeeTypeResponse.newBuilder().setTee(attester.tee().wireName()).build())
                .unary(AttestationAgentServiceGrpc.getGetAdditionalTeesMethod(), (ctx, req) ->
                        GetAdditionalTeesResponse.getDefaultInstance())
                .build();
    }

    private ByteString evidence(byte[] runtimeData) throws RpcException {
        try {
            return ByteString.copyFromUtf8(attester.evidence(runtimeData));
        } catch (AttesterException e) {
            throw new RpcException(Status.Code.FAILED_PRECONDITION, "GetEvidence: " + e.getMessage(), e);
        }
    }

    private GetTokenResponse token(String type) throws RpcException {
        if (!type.equals("kbs")) {
            throw RpcException.invalidArgument("GetToken: token type '" + type + "' is not served (kbs is)");
        }
        if (kbs.isEmpty()) {
            throw new RpcException(Status.Code.FAILED_PRECONDITION, "GetToken: no KBS is configured (aa.toml "
                    + "[token_configs.kbs] url)");
        }
        try {
            return GetTokenResponse.newBuilder().setToken(ByteString.copyFromUtf8(kbs.get().token().value())).build();
        } catch (KbsException e) {
            throw new RpcException(Status.Code.UNAVAILABLE, "GetToken: " + e.getMessage(), e);
        }
    }

    private RuntimeMeasurementResult extend(String domain, String operation, String content,
                                            Optional<Long> registerIndex) throws RpcException {
        if (measurements.isEmpty()) {
            return RuntimeMeasurementResult.NOT_SUPPORTED;
        }
        if (eventLog.isEmpty()) {
            return RuntimeMeasurementResult.NOT_ENABLED;
        }
        AaelEvent event;
        try {
            event = new AaelEvent(domain, operation, content);
        } catch (IllegalArgumentException e) {
            throw RpcException.invalidArgument("ExtendRuntimeMeasurement: " + e.getMessage());
        }
        try {
            eventLog.get().extend(event, registerIndex.orElse(eventLog.get().defaultPcr()));
        } catch (IOException e) {
            throw new RpcException(Status.Code.FAILED_PRECONDITION, "ExtendRuntimeMeasurement: " + e.getMessage(), e);
        }
        return RuntimeMeasurementResult.OK;
    }
}
