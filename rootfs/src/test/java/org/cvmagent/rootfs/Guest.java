package org.cvmagent.rootfs;

import org.cvmagent.agent.cli.AgentClient;
import org.cvmagent.agent.cli.ClientFactory;
import org.cvmagent.transport.Transports;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One booted guest: QEMU started by {@code rootfs/run-guest}, its serial console in a file, and the
 * unix socket that is the host end of the agent's virtio-serial port.
 */
final class Guest implements AutoCloseable {

    private static final Duration POLL = Duration.ofMillis(50);

    private final Process qemu;
    private final Path socket;
    private final Path console;
    private final long startedNanos;

    private Guest(Process qemu, Path socket, Path console, long startedNanos) {
        this.qemu = qemu;
        this.socket = socket;
        this.console = console;
        this.startedNanos = startedNanos;
    }

    /** Starts QEMU (run-guest execs it, so the process is QEMU itself) with everything under {@code dir}. */
    static Guest boot(GuestImage image, Path dir) throws IOException {
        return boot(image, dir, List.of());
    }

    /** The same, with {@code kernelArgs} added to the guest's kernel command line (agent.* options). */
    static Guest boot(GuestImage image, Path dir, List<String> kernelArgs) throws IOException {
        return boot(image, dir, List.of(), kernelArgs);
    }

    /**
     * The same, with options for run-guest ({@code --production}, {@code --initdata TOML},
     * {@code --disk FILE}) and {@code kernelArgs} added to the guest's kernel command line.
     */
    static Guest boot(GuestImage image, Path dir, List<String> options, List<String> kernelArgs) throws IOException {
        Path console = dir.resolve("console.log");
        List<String> command = new java.util.ArrayList<>(List.of(image.runGuest().toString(), "--dir", dir.toString(),
                "--console", console.toString()));
        command.addAll(options);
        if (!kernelArgs.isEmpty()) {
            command.add("--");
            command.addAll(kernelArgs);
        }
        long started = System.nanoTime();
        Process qemu = new ProcessBuilder(command)
                .redirectErrorStream(true).redirectOutput(dir.resolve("run-guest.log").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        return new Guest(qemu, dir.resolve("agent.sock"), console, started);
    }

    /** Time since QEMU was started. */
    Duration sinceStart() {
        return Duration.ofNanos(System.nanoTime() - startedNanos);
    }

    /**
     * Connects to the agent's port once QEMU has created the socket. Requests sent before the agent
     * opened the port wait in the socket: QEMU reads nothing for a port the guest has not opened.
     */
    AgentClient connect(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!Files.exists(socket)) {
            if (!qemu.isAlive()) {
                throw new IOException("QEMU exited with " + qemu.exitValue() + " before creating " + socket
                        + ":\n" + runGuestLog() + console());
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("QEMU did not create " + socket + " within " + timeout);
            }
            Thread.sleep(POLL);
        }
        return new ClientFactory(new Transports()).connect("unix://" + socket, false, timeout);
    }

    /** The first match of {@code pattern} in the console, waiting up to {@code timeout} for it. */
    Optional<Matcher> awaitConsole(Pattern pattern, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Matcher m = pattern.matcher(console());
            if (m.find()) {
                return Optional.of(m);
            }
            if (System.nanoTime() > deadline) {
                return Optional.empty();
            }
            Thread.sleep(POLL);
        }
    }

    String console() throws IOException {
        return Files.exists(console) ? Files.readString(console) : "";
    }

    private String runGuestLog() throws IOException {
        Path log = console.resolveSibling("run-guest.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /** Whether QEMU exited (the guest powered off) within {@code timeout}. */
    boolean awaitExit(Duration timeout) throws InterruptedException {
        return qemu.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    Optional<Integer> exitCode() {
        return qemu.isAlive() ? Optional.empty() : Optional.of(qemu.exitValue());
    }

    /**
     * Stops QEMU if the guest is still running (a failed test): SIGTERM, then SIGKILL. Interrupted
     * while waiting, it kills at once and keeps the interrupt for the caller.
     */
    @Override
    public void close() {
        if (!qemu.isAlive()) {
            return;
        }
        qemu.destroy();
        try {
            if (!qemu.waitFor(10, TimeUnit.SECONDS)) {
                qemu.destroyForcibly();
            }
        } catch (InterruptedException e) {
            qemu.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
