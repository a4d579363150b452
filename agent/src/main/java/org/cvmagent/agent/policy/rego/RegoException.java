package org.cvmagent.agent.policy.rego;

/** A Rego parse, compile or evaluation error; parse errors carry "line:column" in the message. */
public class RegoException extends Exception {
    public RegoException(String message) {
        super(message);
    }

    public RegoException(String message, Throwable cause) {
        super(message, cause);
    }
}
