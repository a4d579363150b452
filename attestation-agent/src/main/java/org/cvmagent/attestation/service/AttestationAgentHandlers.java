package org.cvmagent.attestation.service;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;
import org.cvmagent.attestation.attester.Attester;
import org.cvmagent.attestation.attester.AttesterException;
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
    /** CoCo's default register for runtime measurements (PCR 17, RTMR3 on TDX). */
    static final long DEFAULT_REGISTER = 17;

    private final Attester attester;
    private final Optional<TeeMeasurements> measurements;
    private final Optional<KbsClient> kbs;

    public AttestationAgentHandlers(Attester attester, Optional<TeeMeasurements> measurements,
                                    Optional<KbsClient> kbs) {
        this.attester = attester;
        this.measurements = measurements;
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
                .unary(AttestationAgentServiceGrpc.getExtendRuntimeMeasurementMethod(), (ctx, req) -> {
                    if (measurements.isEmpty()) {
                        return ExtendRuntimeMeasurementResponse.newBuilder()
                                .setResult(RuntimeMeasurementResult.NOT_SUPPORTED).build();
                    }
                    if (req.getDomain().isEmpty() || req.getOperation().isEmpty()) {
                        throw RpcException.invalidArgument("ExtendRuntimeMeasurement: Domain and Operation are required");
                    }
                    byte[] digest = sha384((req.getDomain() + " " + req.getOperation() + " " + req.getContent())
                            .getBytes(StandardCharsets.UTF_8));
                    try {
                        measurements.get().extendRuntimeMeasurement(digest,
                                req.hasRegisterIndex() ? req.getRegisterIndex() : DEFAULT_REGISTER);
                    } catch (IOException e) {
                        throw new RpcException(Status.Code.FAILED_PRECONDITION, "ExtendRuntimeMeasurement: "
                                + e.getMessage(), e);
                    }
                    return ExtendRuntimeMeasurementResponse.newBuilder().setResult(RuntimeMeasurementResult.OK).build();
                })
                .unary(AttestationAgentServiceGrpc.getBindInitDataMethod(), (ctx, req) -> {
                    if (req.getDigest().isEmpty()) {
                        throw RpcException.invalidArgument("BindInitData: Digest is empty");
                    }
                    // a TEE without a launch-time field cannot be checked: CoCo's AA accepts that too
                    if (measurements.isPresent()) {
                        try {
                            if (!measurements.get().initDataMatches(req.getDigest().toByteArray())) {
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

    private static byte[] sha384(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-384").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-384", e);
        }
    }
}
