package org.cvmagent.agent.cli;

import java.nio.file.Path;
import java.util.Deque;
import java.util.Optional;
import java.util.Set;
import org.cvmagent.agent.server.GuestComponentsLauncher;
import org.cvmagent.agent.server.ImageSettings;
import org.cvmagent.attestation.service.GuestComponentsServer;
import org.cvmagent.image.signature.KbsResourceUri;

/**
 * The arguments of {@code cvm-agent-ctl pull}: one IMAGE and options in any order. Only parsed
 * here; nothing is opened or created until the pull runs.
 *
 * @param help whether {@code --help} was given (then nothing else is read)
 */
record PullArguments(boolean help, String image, Path store, Optional<String> policy, Optional<String> registriesD,
                     Optional<String> auth, Set<String> insecure, Path cdhSocket, Optional<String> decryptionKey) {

    static final Path DEFAULT_STORE = Path.of("/tmp/cvm-agent-images");

    static PullArguments parse(Deque<String> args) throws AgentCtl.UsageException {
        if (args.contains("--help") || args.contains("-h")) {
            return new PullArguments(true, "", DEFAULT_STORE, Optional.empty(), Optional.empty(), Optional.empty(),
                    Set.of(), Path.of(""), Optional.empty());
        }
        String image = null;
        Path store = DEFAULT_STORE;
        Optional<String> policy = Optional.empty();
        Optional<String> registriesD = Optional.empty();
        Optional<String> auth = Optional.empty();
        Optional<String> decryptionKey = Optional.empty();
        Set<String> insecure = Set.of();
        Path cdhSocket = GuestComponentsLauncher.DEFAULT_RUN_DIR.resolve(GuestComponentsServer.CDH_SOCKET);
        while (!args.isEmpty()) {
            String arg = args.removeFirst();
            if (!arg.startsWith("-")) {
                if (image != null) {
                    throw new AgentCtl.UsageException("pull takes one IMAGE, got " + image + " and " + arg);
                }
                image = arg;
                continue;
            }
            if (args.isEmpty()) {
                throw new AgentCtl.UsageException(arg + " needs a value");
            }
            String value = args.removeFirst();
            try {
                switch (arg) {
                    case "--store" -> store = Path.of(value);
                    case "--policy" -> policy = Optional.of(local(value));
                    case "--registries-d" -> registriesD = Optional.of(local(value));
                    case "--auth" -> auth = Optional.of(local(value));
                    case "--insecure" -> insecure = ImageSettings.hosts(value);
                    case "--cdh-socket" -> cdhSocket = Path.of(value);
                    case "--decryption-key" -> decryptionKey = Optional.of(local(value));
                    default -> throw new AgentCtl.UsageException("unknown pull option " + arg);
                }
            } catch (IllegalArgumentException e) {
                throw new AgentCtl.UsageException(arg + " " + value + ": " + e.getMessage());
            }
        }
        if (image == null) {
            throw new AgentCtl.UsageException("pull needs an IMAGE");
        }
        return new PullArguments(false, image, store, policy, registriesD, auth, insecure, cdhSocket, decryptionKey);
    }

    /** A location as cdh.toml writes it ({@code file:///…}, {@code kbs:///…}) or a path relative to here. */
    private static String local(String value) {
        String location = ImageSettings.location(value);
        return KbsResourceUri.isKbs(location) ? location : Path.of(location).toAbsolutePath().toString();
    }
}
