package org.cvmagent.agent.cli;

import org.cvmagent.agent.policy.RegoCompiler;
import org.cvmagent.transport.Transports;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

/** Runs {@code cvm-agent-ctl} in-process with its output captured, for the CLI's tests. */
public final class CtlRunner {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final Optional<Optional<RegoCompiler>> compiler;

    /** With the Rego engine the build finds, as the shipped CLI runs. */
    public CtlRunner() {
        this.compiler = Optional.empty();
    }

    /** With {@code compiler} as the policy commands' engine. */
    public CtlRunner(Optional<RegoCompiler> compiler) {
        this.compiler = Optional.of(compiler);
    }

    /** Runs the CLI with {@code args}; its exit status. Output of the previous run is dropped. */
    public int run(String... args) {
        out.reset();
        err.reset();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        AgentCtl ctl = compiler.isPresent()
                ? new AgentCtl(new ClientFactory(new Transports()), MethodCatalog.agentServices(), o, e, Map.of(),
                        compiler.get())
                : new AgentCtl(new ClientFactory(new Transports()), MethodCatalog.agentServices(), o, e, Map.of());
        return ctl.run(args);
    }

    public String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    public String err() {
        return err.toString(StandardCharsets.UTF_8);
    }
}
