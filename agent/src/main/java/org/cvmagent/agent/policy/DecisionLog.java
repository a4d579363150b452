package org.cvmagent.agent.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * One JSON line per policy decision, for audit: request type, verdict, time taken, what the
 * policy printed and why a request failed. The request itself only at DEBUG, as kata writes its
 * policy input log only at debug level.
 *
 * <p>Levels: a denial is a WARNING; an allowed request that changes what the policy decides next
 * (SetPolicy, a decision whose ops updated the policy state, one let through by
 * AllowRequestsFailingPolicy) is INFO; every other allowed request is routine and DEBUG — the
 * shim's ReadStdout/WriteStdin and StatsContainer polling alone would otherwise drown the log.
 */
public final class DecisionLog {

    /**
     * Never logged with their body: a policy document is large and comes from the pod spec anyway;
     * stream data is the workload's own I/O (possibly secret); stats are polled too often.
     */
    private static final Set<String> BODY_NEVER_LOGGED = Set.of(
            "SetPolicyRequest", "ReadStreamRequest", "WriteStreamRequest", "StatsContainerRequest");

    /** Allowed, they change the policy itself. */
    private static final Set<String> POLICY_CHANGES = Set.of("SetPolicyRequest");

    private final System.Logger logger;

    public DecisionLog(System.Logger logger) {
        this.logger = logger;
    }

    public static DecisionLog standard() {
        return new DecisionLog(System.getLogger("org.cvmagent.agent.policy.decisions"));
    }

    /**
     * @param changedState whether the decision's ops updated the policy state
     * @param input        the policy input, built only when it will be written
     * @param failure      why the evaluation failed, when it did
     */
    public void record(String requestType, boolean allowed, boolean changedState, long elapsedMicros,
                       List<String> prints, Optional<String> failure, boolean overridden, Supplier<JsonNode> input) {
        System.Logger.Level level = level(requestType, allowed, changedState, overridden);
        boolean withBody = logger.isLoggable(System.Logger.Level.DEBUG) && !BODY_NEVER_LOGGED.contains(requestType);
        if (!logger.isLoggable(level) && !withBody) {
            return;
        }
        ObjectNode line = JsonNodeFactory.instance.objectNode();
        line.put("request", requestType);
        line.put("allowed", allowed);
        line.put("elapsed_us", elapsedMicros);
        if (!prints.isEmpty()) {
            prints.forEach(line.putArray("prints")::add);
        }
        failure.ifPresent(why -> line.put("error", why));
        if (overridden) {
            line.put("allowed_by", "AllowRequestsFailingPolicy");
        }
        if (withBody) {
            line.set("input", input.get());
        }
        logger.log(withBody && !logger.isLoggable(level) ? System.Logger.Level.DEBUG : level, line.toString());
    }

    private static System.Logger.Level level(String requestType, boolean allowed, boolean changedState,
                                             boolean overridden) {
        if (!allowed) {
            return System.Logger.Level.WARNING;
        }
        if (changedState || overridden || POLICY_CHANGES.contains(requestType)) {
            return System.Logger.Level.INFO;
        }
        return System.Logger.Level.DEBUG;
    }
}
