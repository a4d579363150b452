package org.cvmagent.agent.policy;

import com.google.protobuf.Message;
import org.cvmagent.rpc.BoundMethod;
import org.cvmagent.rpc.CallContext;
import org.cvmagent.rpc.CallGate;
import org.cvmagent.rpc.MemoryBudgetExceededException;
import org.cvmagent.rpc.RpcException;

import java.util.Objects;

/**
 * The agent policy in the dispatcher's gate: asks the {@link PolicyEngine} about every
 * AgentService request by its request type name; a denial is PERMISSION_DENIED naming the type and
 * carrying what the policy printed, worded as kata words it. An engine that throws denies too.
 * {@code grpc.Health} is outside the agent policy, as in kata: the shim must be able to see that
 * the agent is alive, and genpolicy's policies have no rules for it.
 *
 * <p>A denied method bound as redactable (ReadStdout and ReadStderr) is not refused but
 * {@linkplain Verdict#REDACT redacted}, as kata-agent does: it reads the stream and clears the
 * data of its answer when the policy denies ReadStreamRequest. The shim's copy then ends on that
 * empty answer instead of failing, and the read keeps the process's output flowing (see the
 * sandbox's OutputPump), so a workload whose output the policy hides still runs to completion.
 */
public final class PolicyGate implements CallGate {

    private static final System.Logger LOG = System.getLogger("org.cvmagent.agent.policy");

    private static final String HEALTH_SERVICE = "grpc.Health";

    private final PolicyEngine engine;

    public PolicyGate(PolicyEngine engine) {
        this.engine = Objects.requireNonNull(engine, "engine");
    }

    @Override
    public Verdict check(CallContext context, BoundMethod method, Message request) throws RpcException {
        if (method.service().equals(HEALTH_SERVICE)) {
            return Verdict.ALLOW;
        }
        String type = method.requestTypeName();
        PolicyDecision decision;
        try {
            decision = engine.evaluate(type, request, context.memory());
        } catch (MemoryBudgetExceededException e) {
            // Not a decision: the request may pass once the agent has memory to look at it.
            LOG.log(System.Logger.Level.WARNING, "policy input of " + type + " from " + context.peer()
                    + " not built: " + e.getMessage());
            throw e.toRpcException();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "policy evaluation of " + type + " failed", e);
            decision = PolicyDecision.deny("policy evaluation failed: " + e.getMessage());
        }
        if (decision != null && decision.allowed()) {
            return Verdict.ALLOW;
        }
        String prints = decision == null ? "no decision" : String.join("; ", decision.prints());
        if (method.redactable()) {
            // Routine under a confidential policy (every read of a hidden stream), and the
            // decision log has already recorded the denial at WARNING: DEBUG here.
            LOG.log(System.Logger.Level.DEBUG, "policy denied " + type + " from " + context.peer()
                    + ", answering " + method.method() + " without data" + (prints.isEmpty() ? "" : ": " + prints));
            return Verdict.REDACT;
        }
        LOG.log(System.Logger.Level.WARNING, "policy denied " + type + " from " + context.peer()
                + (prints.isEmpty() ? "" : ": " + prints));
        throw RpcException.permissionDenied(type + " is blocked by policy"
                + (prints.isEmpty() ? "" : ": " + prints));
    }
}
