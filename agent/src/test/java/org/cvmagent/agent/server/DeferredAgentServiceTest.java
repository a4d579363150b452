package org.cvmagent.agent.server;

import com.google.protobuf.Message;
import io.grpc.Status;
import org.cvmagent.agent.config.AgentConfig;
import org.cvmagent.agent.policy.PolicyDecision;
import org.cvmagent.agent.policy.PolicyEngine;
import org.cvmagent.agent.service.SandboxHandlers;
import org.cvmagent.proto.agent.AgentServiceGrpc;
import org.cvmagent.proto.agent.ReadStreamRequest;
import org.cvmagent.proto.agent.ReadStreamResponse;
import org.cvmagent.proto.agent.WaitProcessRequest;
import org.cvmagent.proto.agent.WaitProcessResponse;
import org.cvmagent.proto.agent.CheckRequest;
import org.cvmagent.proto.agent.HealthCheckResponse;
import org.cvmagent.rpc.BoundMethod;
import org.cvmagent.rpc.CallContext;
import org.cvmagent.rpc.Dispatcher;
import org.cvmagent.rpc.RpcException;
import org.cvmagent.rpc.ServiceBinding;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent serves Health before its container host is up ({@link AgentServices#deferredDispatcher}):
 * AgentService calls pass the gate, wait, then run the real handlers; a start that failed answers
 * them UNAVAILABLE; redaction is never lost on the way.
 */
class DeferredAgentServiceTest {

    private final CompletableFuture<ServiceBinding> real = new CompletableFuture<>();

    private static Message call(Dispatcher dispatcher, String service, String method, Message request)
            throws Exception {
        BoundMethod bound = dispatcher.resolve(service, method);
        return dispatcher.invoke(new CallContext("ttrpc", "test", bound.fullName(), Map.of(),
                CallContext.NO_DEADLINE), bound, dispatcher.decode(bound, request.toByteString()));
    }

    @Test
    void healthAnswersAtOnceAndAgentServiceCallsWaitForTheRealHandlers() throws Exception {
        Dispatcher dispatcher = AgentServices.deferredDispatcher(AgentConfig.defaults(), PolicyEngine.NONE, real);
        HealthCheckResponse health = (HealthCheckResponse) call(dispatcher, "grpc.Health", "Check",
                CheckRequest.getDefaultInstance());
        assertEquals(HealthCheckResponse.ServingStatus.SERVING, health.getStatus());

        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<Message> wait = threads.submit(() -> call(dispatcher, "grpc.AgentService", "WaitProcess",
                    WaitProcessRequest.newBuilder().setContainerId("c").build()));
            assertThrows(TimeoutException.class, () -> wait.get(200, TimeUnit.MILLISECONDS));
            real.complete(ServiceBinding.of(AgentServiceGrpc.getServiceDescriptor())
                    .unary(AgentServiceGrpc.getWaitProcessMethod(),
                            (ctx, req) -> WaitProcessResponse.newBuilder().setStatus(7).build())
                    .build());
            assertEquals(7, ((WaitProcessResponse) wait.get(10, TimeUnit.SECONDS)).getStatus());
        }
        RpcException unbound = assertThrows(RpcException.class, () -> call(dispatcher, "grpc.AgentService",
                "CreateSandbox", org.cvmagent.proto.agent.CreateSandboxRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNIMPLEMENTED, unbound.code());
    }

    @Test
    void aStartThatFailedAnswersUnavailableWithTheReason() {
        Dispatcher dispatcher = AgentServices.deferredDispatcher(AgentConfig.defaults(), PolicyEngine.NONE, real);
        real.completeExceptionally(new IllegalStateException("cgroup2 is not mounted"));
        RpcException e = assertThrows(RpcException.class, () -> call(dispatcher, "grpc.AgentService", "WaitProcess",
                WaitProcessRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNAVAILABLE, e.code());
        assertTrue(e.getMessage().contains("cgroup2 is not mounted"), e.getMessage());
    }

    @Test
    void aDeniedReadIsRedactedOrRefusedButNeverAnsweredWithData() throws Exception {
        PolicyEngine denyReads = (type, request) -> type.equals("ReadStreamRequest")
                ? PolicyDecision.deny("no reads") : PolicyDecision.allow();
        Dispatcher dispatcher = AgentServices.deferredDispatcher(AgentConfig.defaults(), denyReads, real);
        ReadStreamRequest read = ReadStreamRequest.newBuilder().setContainerId("c").setLen(10).build();
        // the real ReadStdout honours redaction; the real ReadStderr here does not
        real.complete(ServiceBinding.of(AgentServiceGrpc.getServiceDescriptor())
                .redactable(AgentServiceGrpc.getReadStdoutMethod(), (ctx, req) -> ReadStreamResponse.newBuilder()
                        .setData(com.google.protobuf.ByteString.copyFromUtf8(ctx.redacted() ? "" : "secret")).build())
                .unary(AgentServiceGrpc.getReadStderrMethod(), (ctx, req) -> ReadStreamResponse.newBuilder()
                        .setData(com.google.protobuf.ByteString.copyFromUtf8("secret")).build())
                .build());
        assertTrue(((ReadStreamResponse) call(dispatcher, "grpc.AgentService", "ReadStdout", read)).getData().isEmpty());
        RpcException e = assertThrows(RpcException.class, () -> call(dispatcher, "grpc.AgentService", "ReadStderr", read));
        assertEquals(Status.Code.PERMISSION_DENIED, e.code());
    }

    @Test
    void theRedactableMethodsDeclaredUpFrontAreTheSandboxHandlersOwn() {
        // The sandbox is only used when a call runs, so none is needed to read the binding.
        ServiceBinding binding = new SandboxHandlers(null, Path.of("/proc/self/mountinfo"), List.of())
                .addTo(ServiceBinding.of(AgentServiceGrpc.getServiceDescriptor())).build();
        Set<String> redactable = binding.methods().stream().filter(BoundMethod::redactable)
                .map(BoundMethod::method).collect(Collectors.toSet());
        assertEquals(SandboxHandlers.REDACTABLE_METHODS, redactable);
        assertFalse(redactable.isEmpty());
    }
}
