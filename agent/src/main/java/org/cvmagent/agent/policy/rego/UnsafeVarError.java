package org.cvmagent.agent.policy.rego;

/**
 * A variable was needed before any literal bound it. Kept apart from other errors because a body
 * may still succeed once the literal is retried after the ones that bind the variable.
 */
final class UnsafeVarError extends RegoException {
    UnsafeVarError(String message) {
        super(message, null, false); // caught to reorder a body; a stack trace would only cost time
    }
}
