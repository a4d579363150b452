package org.cvmagent.agent.policy.rego;

/**
 * regorus's extensions to Rego and engine settings that OPA lacks, all off by default so a policy
 * compiled without options (the agent's policy gate) keeps OPA's semantics; the conformance tests
 * turn them on to check the extensions against regorus's cases.
 *
 * @param targets the registry `__target__` names resolve in; null: `__target__` is an ordinary rule
 * @param timer regorus's engine-level execution timer; null: only the per-query deadline applies
 * @param orOperator whether `or` is regorus's boolean operator rather than an identifier
 */
public record RegoOptions(TargetRegistry targets, ExecutionTimer timer, boolean orOperator) {
    public static final RegoOptions DEFAULT = new RegoOptions(null, null, false);

    RegoOptions withTargets(TargetRegistry registry) {
        return new RegoOptions(registry, timer, orOperator);
    }

    RegoOptions withExecutionTimer(ExecutionTimer t) {
        return new RegoOptions(targets, t, orOperator);
    }

    RegoOptions withOrOperator() {
        return new RegoOptions(targets, timer, true);
    }
}
