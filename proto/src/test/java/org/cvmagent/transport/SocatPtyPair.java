package org.cvmagent.transport;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Two pseudo-terminals joined by socat, reachable through symlinks: what one end's opener writes,
 * the other end's opener reads. Stands in for a virtio-serial port (agent end) and the
 * hypervisor's socket (host end). Needs the socat command.
 */
final class SocatPtyPair implements AutoCloseable {

    final Path agentEnd;
    final Path hostEnd;
    private final Path log;
    private final Process socat;

    SocatPtyPair(Path agentEnd, Path hostEnd, Path log) throws IOException, InterruptedException {
        this.agentEnd = agentEnd;
        this.hostEnd = hostEnd;
        this.log = log;
        this.socat = new ProcessBuilder("socat", "-d", "-d",
                "PTY,link=" + agentEnd + ",raw,echo=0",
                "PTY,link=" + hostEnd + ",raw,echo=0")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        // socat announces readiness only on stderr; both links existing is the signal we can check.
        while (!(Files.exists(agentEnd) && Files.exists(hostEnd))) {
            if (!socat.isAlive() || System.nanoTime() > deadline) {
                hangUp();
                throw new IOException("socat did not set up the pty pair:\n" + Files.readString(log));
            }
            Thread.sleep(20);
        }
    }

    /** Ends socat (SIGTERM, so that it removes its links), which hangs up both terminals. Idempotent. */
    void hangUp() throws IOException {
        try {
            stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while stopping socat");
        }
    }

    @Override
    public void close() throws IOException {
        hangUp();
    }

    private void stop() throws IOException, InterruptedException {
        socat.destroy();
        if (!socat.waitFor(10, TimeUnit.SECONDS)) {
            socat.destroyForcibly();
            throw new IOException("socat did not stop on SIGTERM:\n" + Files.readString(log));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (Files.exists(agentEnd, LinkOption.NOFOLLOW_LINKS)
                || Files.exists(hostEnd, LinkOption.NOFOLLOW_LINKS)) {
            if (System.nanoTime() > deadline) {
                throw new IOException("socat left its links behind");
            }
            Thread.sleep(20);
        }
    }
}
