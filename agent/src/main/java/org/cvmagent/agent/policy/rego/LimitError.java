package org.cvmagent.agent.policy.rego;

/**
 * A query ran out of its budget (steps, depth, time). Unlike other errors of a query, nothing
 * evaluation does may set it aside: it always ends the query.
 */
final class LimitError extends RegoException {
    LimitError(String message) {
        super(message);
    }
}
