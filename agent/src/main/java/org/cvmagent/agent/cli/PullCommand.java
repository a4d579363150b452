package org.cvmagent.agent.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.cvmagent.agent.server.CdhResourceClient;
import org.cvmagent.agent.server.GuestComponentsLauncher;
import org.cvmagent.agent.server.ImagePullSetup;
import org.cvmagent.agent.server.ImageSettings;
import org.cvmagent.attestation.service.GuestComponentsServer;
import org.cvmagent.image.ImagePuller;
import org.cvmagent.image.ProgressEvent;
import org.cvmagent.image.PullException;
import org.cvmagent.image.PullOptions;
import org.cvmagent.image.PulledImage;
import org.cvmagent.image.signature.KbsResourceUri;
import org.cvmagent.transport.Transports;

/**
 * {@code cvm-agent-ctl pull IMAGE}: pulls an image the way the guest does (same registry client,
 * signature policy and layer store), showing per-layer progress bars, for operators who check a
 * reference, a registry or a policy before a pod uses them.
 */
final class PullCommand {

    static final String USAGE = """
              pull IMAGE [--store DIR] [--policy FILE|kbs:///R/T/TAG] [--registries-d DIR]
                         [--auth AUTH.JSON|kbs:///R/T/TAG] [--insecure HOST[:PORT],...] [--cdh-socket PATH]
                                         pull IMAGE into a layer store (default /tmp/cvm-agent-images) as
                                         the guest does, verified against a containers-policy.json;
                                         kbs:/// policies and keys through the confidential data hub
                                         (default /run/confidential-containers/cdh.sock);
                                         progress on stderr, the result on stdout
            """;
    private static final int BAR = 30;
    /** The first fetch attests to the KBS, which takes a few round trips. */
    private static final Duration CDH_TIMEOUT = Duration.ofSeconds(60);

    private final PrintStream out;
    private final PrintStream err;

    PullCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    int run(Deque<String> args) throws AgentCtl.UsageException {
        if (args.isEmpty()) {
            throw new AgentCtl.UsageException("pull needs an IMAGE");
        }
        String image = args.removeFirst();
        Path store = Path.of("/tmp/cvm-agent-images");
        Optional<String> policy = Optional.empty();
        Optional<String> registriesD = Optional.empty();
        Optional<String> auth = Optional.empty();
        Set<String> insecure = Set.of();
        Path cdhSocket = GuestComponentsLauncher.DEFAULT_RUN_DIR.resolve(GuestComponentsServer.CDH_SOCKET);
        while (!args.isEmpty()) {
            String option = args.removeFirst();
            if (args.isEmpty()) {
                throw new AgentCtl.UsageException(option + " needs a value");
            }
            String value = args.removeFirst();
            switch (option) {
                case "--store" -> store = Path.of(value);
                case "--policy" -> policy = Optional.of(local(value));
                case "--registries-d" -> registriesD = Optional.of(local(value));
                case "--auth" -> auth = Optional.of(local(value));
                case "--insecure" -> insecure = ImageSettings.hosts(value);
                case "--cdh-socket" -> cdhSocket = Path.of(value);
                default -> throw new AgentCtl.UsageException("unknown pull option " + option);
            }
        }
        try {
            ImageSettings settings = new ImageSettings(policy, registriesD, auth, insecure,
                    Optional.empty(), List.of(), List.of(), Optional.empty());
            ImagePuller puller = ImagePullSetup.puller(settings, store,
                    new CdhResourceClient(cdhSocket, new Transports(), CDH_TIMEOUT));
            Map<String, String> bars = new LinkedHashMap<>();
            PulledImage pulled = puller.pull(image, PullOptions.defaults(false), event -> progress(bars, event));
            err.println();
            // the reference is printed pinned to the manifest digest it resolved to
            out.println("pulled " + pulled.reference().withDigest(pulled.manifestDigest()) + " ("
                    + pulled.layers().size() + " layers, config " + pulled.configDigest() + ")");
            return AgentCtl.EXIT_OK;
        } catch (PullException e) {
            err.println();
            err.println("cvm-agent-ctl: pull " + image + " failed (" + e.reason().name().toLowerCase(java.util.Locale.ROOT)
                    + "): " + e.getMessage());
            return AgentCtl.EXIT_RPC_ERROR;
        } catch (IllegalArgumentException e) {
            throw new AgentCtl.UsageException(e.getMessage());
        } catch (IOException e) {
            err.println("cvm-agent-ctl: pull " + image + ": " + e.getMessage());
            return AgentCtl.EXIT_RPC_ERROR;
        }
    }

    /** One line per layer, redrawn in place: short digest, bar, percentage, state. */
    private synchronized void progress(Map<String, String> bars, ProgressEvent e) {
        String id = e.layer().hex().substring(0, 12);
        int filled = e.total() > 0 ? (int) Math.min(BAR, e.done() * BAR / e.total()) : 0;
        if (e.state() == ProgressEvent.State.COMPLETE || e.state() == ProgressEvent.State.ALREADY_PRESENT) {
            filled = BAR;
        }
        String line = String.format("%s [%s%s] %3d%% %s", id, "#".repeat(filled), "-".repeat(BAR - filled),
                filled * 100 / BAR, e.state().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' '));
        String before = bars.put(id, line);
        if (!line.equals(before)) {
            err.print("\r" + line);
            if (filled == BAR) {
                err.println();
            }
        }
    }

    /** A location as cdh.toml writes it ({@code file:///…}, {@code kbs:///…}) or a path relative to here. */
    private static String local(String value) {
        String location = ImageSettings.location(value);
        return KbsResourceUri.isKbs(location) ? location : Path.of(location).toAbsolutePath().toString();
    }
}
