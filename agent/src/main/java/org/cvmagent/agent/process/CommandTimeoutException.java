package org.cvmagent.agent.process;

import java.io.IOException;

/** A command did not finish in time and was killed with SIGKILL. */
public final class CommandTimeoutException extends IOException {

    public CommandTimeoutException(String message) {
        super(message);
    }
}
