package org.cvmagent.agent.policy.rego;

/**
 * A builtin rejected its operands. OPA's default (non-strict) evaluation treats the call as
 * undefined; strict evaluation makes it an error of the query. Non-strict evaluation catches these
 * often (to_number on a non-number, say), so they carry no stack trace.
 */
final class BuiltinError extends RegoException {
    BuiltinError(String message) {
        super(message, null, false);
    }

    BuiltinError(String message, Throwable cause) {
        super(message, cause, false);
    }
}
