package org.cvmagent.agent.process;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * How a short-lived command ended and what it wrote.
 *
 * @param stdoutTruncated whether stdout was longer than the runner keeps (the rest was discarded)
 * @param stderrTruncated the same for stderr
 */
public record CommandResult(List<String> argv, ExitStatus status, byte[] stdout, byte[] stderr,
                            boolean stdoutTruncated, boolean stderrTruncated) {

    public CommandResult {
        argv = List.copyOf(argv);
    }

    public boolean succeeded() {
        return status.signal() == 0 && status.exitCode() == 0;
    }

    public String stdoutText() {
        return new String(stdout, StandardCharsets.UTF_8);
    }

    public String stderrText() {
        return new String(stderr, StandardCharsets.UTF_8);
    }
}
