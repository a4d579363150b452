package org.cvmagent.agent.policy.rego;

/**
 * A builtin rejected its operands. OPA's default (non-strict) evaluation treats the call as
 * undefined; strict evaluation makes it an error of the query.
 */
final class BuiltinError extends RegoException {
    BuiltinError(String message) {
        super(message);
    }

    BuiltinError(String message, Throwable cause) {
        super(message, cause);
    }
}
