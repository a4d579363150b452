package org.cvmagent.agent.policy.rego;

/** A Rego parse, compile or evaluation error; parse errors carry "line:column" in the message. */
public class RegoException extends Exception {
    public RegoException(String message) {
        super(message);
    }

    public RegoException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * For errors that evaluation routinely catches and recovers from: filling in a stack trace
     * walks the whole (deep, continuation-passing) evaluation stack, which costs more than the
     * builtin call that failed, and nobody reads it.
     */
    RegoException(String message, Throwable cause, boolean writableStackTrace) {
        super(message, cause, true, writableStackTrace);
    }
}
