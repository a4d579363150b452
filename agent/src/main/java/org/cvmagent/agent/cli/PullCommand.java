package org.cvmagent.agent.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.cvmagent.agent.server.CdhResourceClient;
import org.cvmagent.agent.server.ImagePullSetup;
import org.cvmagent.agent.server.ImageSettings;
import org.cvmagent.image.ImagePuller;
import org.cvmagent.image.LayerCount;
import org.cvmagent.image.ProgressEvent;
import org.cvmagent.image.PullException;
import org.cvmagent.image.PullOptions;
import org.cvmagent.image.PulledImage;
import org.cvmagent.image.store.Layer;
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
                         [--decryption-key FILE|kbs:///R/T/TAG]
                                         pull IMAGE into a layer store (default /tmp/cvm-agent-images) as
                                         the guest does, verified against a containers-policy.json;
                                         encrypted layers decrypted with the private key FILE (PEM or
                                         JWK, as skopeo's --decryption-key) or the KBS;
                                         kbs:/// policies and keys through the confidential data hub
                                         (default /run/confidential-containers/cdh.sock);
                                         progress on stderr; on stdout the result, how the image was
                                         verified (signature format and identity) and decrypted (key
                                         source), and the unpacked layer directories, bottom to top
                                         (an overlay's lowerdirs)
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
        PullArguments a = PullArguments.parse(args);
        if (a.help()) {
            out.print("usage: cvm-agent-ctl pull IMAGE [OPTIONS]\n" + USAGE);
            return AgentCtl.EXIT_OK;
        }
        try {
            ImageSettings settings = new ImageSettings(a.policy(), a.registriesD(), a.auth(), a.insecure(),
                    Optional.empty(), List.of(), List.of(), Optional.empty(), a.decryptionKey(), false, Optional.empty(),
                    Optional.empty());
            List<String> verified = new java.util.concurrent.CopyOnWriteArrayList<>();
            Map<String, String> decrypted = new java.util.concurrent.ConcurrentSkipListMap<>();
            ImagePuller puller = ImagePullSetup.puller(settings, a.store(),
                    new CdhResourceClient(a.cdhSocket(), new Transports(), CDH_TIMEOUT), verified::add,
                    (layer, source) -> decrypted.put(layer.toString(), source));
            Map<String, String> bars = new LinkedHashMap<>();
            PulledImage pulled = puller.pull(a.image(), PullOptions.defaults(false), event -> progress(bars, event));
            err.println();
            // the reference is printed pinned to the manifest digest it resolved to
            out.println("pulled " + pulled.reference().withDigest(pulled.manifestDigest()) + " ("
                    + LayerCount.of(pulled.layers().size()) + ", config " + pulled.configDigest() + ") into "
                    + a.store().toAbsolutePath());
            for (String how : verified) {
                out.println("signature: " + how);
            }
            for (Map.Entry<String, String> layer : decrypted.entrySet()) {
                out.println("decrypted layer " + layer.getKey() + ": " + layer.getValue());
            }
            out.println("unpacked layers, bottom to top:");
            for (Layer layer : pulled.layers()) {
                out.println("  " + layer.diff());
            }
            return AgentCtl.EXIT_OK;
        } catch (PullException e) {
            // the message starts with the reason in words ("rejected by policy: ...")
            err.println();
            err.println("cvm-agent-ctl: pull " + a.image() + " failed: " + e.getMessage());
            return AgentCtl.EXIT_RPC_ERROR;
        } catch (IllegalArgumentException e) {
            throw new AgentCtl.UsageException(e.getMessage());
        } catch (IOException e) {
            err.println("cvm-agent-ctl: pull " + a.image() + ": " + e.getMessage());
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
}
