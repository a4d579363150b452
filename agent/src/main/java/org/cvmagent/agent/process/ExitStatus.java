package org.cvmagent.agent.process;

/**
 * How a child ended: its exit code, or the signal that killed it.
 *
 * @param exitCode the code passed to exit(2), 0 when a signal killed the child
 * @param signal   the number of the signal that killed the child, 0 when it exited
 */
public record ExitStatus(int exitCode, int signal) {

    public ExitStatus {
        if (signal != 0 && exitCode != 0) {
            throw new IllegalArgumentException("a child either exits or is killed: code " + exitCode
                    + ", signal " + signal);
        }
    }

    static ExitStatus exited(int code) {
        return new ExitStatus(code, 0);
    }

    static ExitStatus killed(int signal) {
        return new ExitStatus(0, signal);
    }

    /** Decodes a waitpid(2) status word (WIFEXITED/WEXITSTATUS/WIFSIGNALED/WTERMSIG). */
    static ExitStatus fromWaitStatus(int status) {
        int termSignal = status & 0x7f;
        if (termSignal == 0) {
            return exited((status >> 8) & 0xff);
        }
        if (termSignal != 0x7f) {
            return killed(termSignal);
        }
        // 0x7f is a stopped child, which waitpid without WUNTRACED never reports.
        throw new IllegalArgumentException("wait status " + status + " is neither an exit nor a kill");
    }

    /** The code kata reports: the exit code, or 128 + the signal (137 after SIGKILL), as shells do. */
    public int kataCode() {
        return signal != 0 ? 128 + signal : exitCode;
    }

    @Override
    public String toString() {
        return signal != 0 ? "killed by signal " + signal : "exit code " + exitCode;
    }
}
