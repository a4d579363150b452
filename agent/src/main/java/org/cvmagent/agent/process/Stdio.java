package org.cvmagent.agent.process;

/** What one of a child's standard fds (0, 1 or 2) is connected to. */
public sealed interface Stdio {

    /** A new pipe; the agent's end is the child's stream in {@link SpawnedProcess}. */
    Stdio PIPE = new Pipe();
    /** /dev/null, opened read-write in the child. */
    Stdio NULL = new DevNull();
    /** The agent's own fd of the same number. */
    Stdio INHERIT = new Inherit();

    /** An fd the caller owns (a pty, a file, a socket); it is dup2'ed in the child and stays open here. */
    static Stdio fd(int fd) {
        return new Fd(fd);
    }

    record Pipe() implements Stdio {
    }

    record DevNull() implements Stdio {
    }

    record Inherit() implements Stdio {
    }

    record Fd(int fd) implements Stdio {
        public Fd {
            if (fd < 0) {
                throw new IllegalArgumentException("negative fd " + fd);
            }
        }
    }
}
