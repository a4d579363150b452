package org.cvmagent.agent.process;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What to start.
 *
 * <p>{@code argv.get(0)} names the program: a name containing a slash is used as it is (relative
 * to {@code cwd} when relative, as execve does); a bare name is looked up in the {@code PATH} of
 * {@code env} — the child's environment, not the agent's — or, when env has no PATH, in
 * {@link #DEFAULT_PATH}. The environment is exactly {@code env}; use {@link #agentEnvironment()} to
 * pass the agent's own on purpose.
 *
 * @param argv       the program and its arguments, not empty
 * @param env        the complete environment as {@code NAME=value} entries
 * @param cwd        the working directory, or empty for the agent's
 * @param stdin      what fd 0 of the child is
 * @param stdout     what fd 1 of the child is
 * @param stderr     what fd 2 of the child is
 * @param newSession whether the child starts a new session (setsid), as a container init or a
 *                   process that should not get the agent's terminal signals does
 */
public record SpawnSpec(List<String> argv, List<String> env, Optional<Path> cwd,
                        Stdio stdin, Stdio stdout, Stdio stderr, boolean newSession) {

    /** The PATH of a process whose environment has none, the one runc and kata use. */
    public static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public SpawnSpec {
        argv = List.copyOf(argv);
        env = List.copyOf(env);
        Objects.requireNonNull(cwd, "cwd");
        Objects.requireNonNull(stdin, "stdin");
        Objects.requireNonNull(stdout, "stdout");
        Objects.requireNonNull(stderr, "stderr");
        if (argv.isEmpty() || argv.get(0).isEmpty()) {
            throw new IllegalArgumentException("argv must name a program");
        }
        for (String entry : env) {
            if (entry.indexOf('=') <= 0) {
                throw new IllegalArgumentException("environment entry is not NAME=value: " + entry);
            }
        }
        for (String arg : argv) {
            if (arg.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("argument contains NUL: " + arg);
            }
        }
    }

    /** {@code argv} with an empty environment, stdin from /dev/null, stdout and stderr as pipes. */
    public static SpawnSpec of(List<String> argv) {
        return new SpawnSpec(argv, List.of(), Optional.empty(), Stdio.NULL, Stdio.PIPE, Stdio.PIPE, false);
    }

    public static SpawnSpec of(String... argv) {
        return of(List.of(argv));
    }

    /** The agent's own environment as {@code NAME=value} entries. */
    public static List<String> agentEnvironment() {
        return System.getenv().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).sorted().toList();
    }

    public SpawnSpec withEnv(List<String> newEnv) {
        return new SpawnSpec(argv, newEnv, cwd, stdin, stdout, stderr, newSession);
    }

    public SpawnSpec withCwd(Path directory) {
        return new SpawnSpec(argv, env, Optional.of(directory), stdin, stdout, stderr, newSession);
    }

    public SpawnSpec withStdio(Stdio in, Stdio out, Stdio err) {
        return new SpawnSpec(argv, env, cwd, in, out, err, newSession);
    }

    public SpawnSpec withNewSession(boolean setsid) {
        return new SpawnSpec(argv, env, cwd, stdin, stdout, stderr, setsid);
    }

    /** The PATH the program is looked up in. */
    String searchPath() {
        return env.stream().filter(e -> e.startsWith("PATH=")).map(e -> e.substring(5))
                .reduce((first, later) -> later).orElse(DEFAULT_PATH);
    }

    /** For error messages: the argv, quoted where needed. */
    String commandLine() {
        StringBuilder text = new StringBuilder();
        for (String arg : argv) {
            if (!text.isEmpty()) {
                text.append(' ');
            }
            text.append(arg.isEmpty() || arg.chars().anyMatch(c -> c <= ' ' || c == '\'' || c == '"')
                    ? "'" + arg.replace("'", "'\\''") + "'" : arg);
        }
        return text.toString();
    }
}
