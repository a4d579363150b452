package org.cvmagent.attestation.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.grpc.Status;
import java.io.IOException;
import java.util.Base64;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.cvmagent.attestation.cdh.BlockDeviceMount;
import org.cvmagent.attestation.cdh.InvalidResourceUriException;
import org.cvmagent.attestation.cdh.ResourceFetcher;
import org.cvmagent.attestation.cdh.SecureMountOptions;
import org.cvmagent.attestation.cdh.SecureVolumes;
import org.cvmagent.attestation.kbs.KbsException;
import org.cvmagent.proto.cdh.GetResourceResponse;
import org.cvmagent.proto.cdh.GetResourceServiceGrpc;
import org.cvmagent.proto.cdh.SealedSecretServiceGrpc;
import org.cvmagent.proto.cdh.SecureMountRequest;
import org.cvmagent.proto.cdh.SecureMountResponse;
import org.cvmagent.proto.cdh.SecureMountServiceGrpc;
import org.cvmagent.proto.cdh.UnsealSecretOutput;
import org.cvmagent.rpc.RpcException;
import org.cvmagent.rpc.ServiceBinding;

/**
 * CoCo's confidential-data-hub API: KBS resources by {@code kbs:///repo/type/tag} and sealed secrets
 * of type vault (a reference to a KBS resource). Envelope secrets need a KMS this guest does not
 * talk to, and are refused with that reason. Secret bytes are never logged.
 */
public final class ConfidentialDataHubHandlers {
    private static final String SEALED_PREFIX = "sealed.";

    private final ResourceFetcher resources;
    private final ObjectMapper json;
    private final Optional<SecureVolumes> volumes;

    public ConfidentialDataHubHandlers(ResourceFetcher resources, ObjectMapper json) {
        this(resources, json, Optional.empty());
    }

    /** @param volumes the agent's volumes; without them SecureMount stays UNIMPLEMENTED */
    public ConfidentialDataHubHandlers(ResourceFetcher resources, ObjectMapper json, Optional<SecureVolumes> volumes) {
        this.resources = resources;
        this.json = json;
        this.volumes = volumes;
    }

    public List<ServiceBinding> bindings() {
        List<ServiceBinding> bindings = new ArrayList<>(List.of(
                ServiceBinding.of(GetResourceServiceGrpc.getServiceDescriptor())
                        .unary(GetResourceServiceGrpc.getGetResourceMethod(), (ctx, req) ->
                                GetResourceResponse.newBuilder().setResource(ByteString.copyFrom(
                                        fetch(req.getResourcePath(), "GetResource"))).build())
                        .build(),
                ServiceBinding.of(SealedSecretServiceGrpc.getServiceDescriptor())
                        .unary(SealedSecretServiceGrpc.getUnsealSecretMethod(), (ctx, req) ->
                                UnsealSecretOutput.newBuilder().setPlaintext(ByteString.copyFrom(
                                        unseal(req.getSecret().toStringUtf8()))).build())
                        .build()));
        volumes.ifPresent(v -> bindings.add(ServiceBinding.of(SecureMountServiceGrpc.getServiceDescriptor())
                .unary(SecureMountServiceGrpc.getSecureMountMethod(), (ctx, req) -> secureMount(v, req))
                .build()));
        return List.copyOf(bindings);
    }

    private SecureMountResponse secureMount(SecureVolumes v, SecureMountRequest request) throws RpcException {
        BlockDeviceMount mount;
        try {
            mount = SecureMountOptions.parse(request);
        } catch (IllegalArgumentException e) {
            throw RpcException.invalidArgument("SecureMount: " + e.getMessage());
        }
        Optional<byte[]> key = switch (mount.key()) {
            case BlockDeviceMount.KeySource.Ephemeral e -> Optional.empty();
            case BlockDeviceMount.KeySource.Kbs kbs -> Optional.of(fetch(kbs.uri().toString(), "SecureMount"));
            case BlockDeviceMount.KeySource.Sealed sealed -> Optional.of(unseal(sealed.secret()));
        };
        if (key.isPresent() && key.get().length == 0) {
            throw new RpcException(Status.Code.FAILED_PRECONDITION, "SecureMount: the volume key "
                    + (mount.key() instanceof BlockDeviceMount.KeySource.Kbs k ? k.uri() : "(sealed secret)")
                    + " is empty; the disk was not changed");
        }
        try {
            v.mountBlockDevice(mount, key);
        } finally {
            key.ifPresent(k -> Arrays.fill(k, (byte) 0));
        }
        return SecureMountResponse.getDefaultInstance();
    }

    private byte[] fetch(String uri, String method) throws RpcException {
        try {
            return resources.get(uri);
        } catch (InvalidResourceUriException e) {
            throw RpcException.invalidArgument(method + ": " + e.getMessage());
        } catch (KbsException e) {
            throw new RpcException(Status.Code.UNAVAILABLE, method + " " + uri + ": " + e.getMessage(), e);
        }
    }

    /** "sealed.&lt;header&gt;.&lt;payload&gt;.&lt;signature&gt;" whose payload names a vault secret in the KBS. */
    private byte[] unseal(String secret) throws RpcException {
        String s = secret.strip();
        if (!s.startsWith(SEALED_PREFIX)) {
            throw RpcException.invalidArgument("UnsealSecret: not a sealed secret (it must start with 'sealed.')");
        }
        String[] parts = s.substring(SEALED_PREFIX.length()).split("\\.", -1);
        if (parts.length != 3) {
            throw RpcException.invalidArgument("UnsealSecret: a sealed secret has header, payload and signature");
        }
        JsonNode payload;
        try {
            payload = json.readTree(Base64.getUrlDecoder().decode(parts[1]));
        } catch (IllegalArgumentException | IOException e) {
            throw RpcException.invalidArgument("UnsealSecret: the payload is not base64url JSON");
        }
        String type = payload.path("type").asText("");
        return switch (type) {
            case "vault" -> {
                if (!payload.path("provider").asText("kbs").equals("kbs")) {
                    throw new RpcException(Status.Code.FAILED_PRECONDITION, "UnsealSecret: vault provider '"
                            + payload.path("provider").asText() + "' is not served (kbs is)");
                }
                yield fetch(payload.path("name").asText(""), "UnsealSecret");
            }
            case "envelope" -> throw new RpcException(Status.Code.FAILED_PRECONDITION,
                    "UnsealSecret: envelope secrets need a KMS provider, which this guest does not have");
            default -> throw RpcException.invalidArgument("UnsealSecret: unknown secret type '" + type + "'");
        };
    }
}
