package org.cvmagent.agent.sandbox;

import org.cvmagent.agent.process.CommandResult;
import org.cvmagent.agent.process.CommandRunner;
import org.cvmagent.proto.agent.KernelModule;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Loads the kernel modules CreateSandbox asks for with {@code modprobe <name> <parameters…>}, as kata does. */
final class KernelModules {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final CommandRunner commands;

    KernelModules(CommandRunner commands) {
        this.commands = commands;
    }

    void load(KernelModule module) throws IOException {
        if (module.getName().isBlank() || module.getName().startsWith("-")) {
            throw new IllegalArgumentException("kernel module name '" + module.getName() + "' is not a module name");
        }
        List<String> argv = new ArrayList<>(List.of("modprobe", module.getName()));
        for (String parameter : module.getParametersList()) {
            if (parameter.startsWith("-")) {
                throw new IllegalArgumentException("kernel module parameter '" + parameter + "' is not name=value");
            }
            argv.add(parameter);
        }
        CommandResult result;
        try {
            result = commands.run(argv, List.of(), TIMEOUT);
        } catch (IOException e) {
            throw new IOException("loading kernel module " + module.getName() + ": " + e.getMessage(), e);
        }
        if (!result.succeeded()) {
            throw new IOException("loading kernel module " + module.getName() + " failed (" + result.status() + "): "
                    + result.stderrText().trim());
        }
    }
}
