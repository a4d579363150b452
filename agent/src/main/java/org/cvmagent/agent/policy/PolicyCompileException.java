package org.cvmagent.agent.policy;

/** A policy that does not compile; the message is the compiler's (with line:column). */
public final class PolicyCompileException extends Exception {

    public PolicyCompileException(String message, Throwable cause) {
        super(message, cause);
    }
}
