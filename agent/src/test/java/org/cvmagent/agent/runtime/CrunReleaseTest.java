package org.cvmagent.agent.runtime;

import org.cvmagent.agent.process.CommandRunner;
import org.cvmagent.agent.process.PosixSpawner;
import org.cvmagent.agent.process.Reaper;
import org.cvmagent.agent.process.SpawnSpec;
import org.cvmagent.agent.process.SpawnedProcess;
import org.cvmagent.agent.process.Stdio;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * StartContainer with crun releases the container through crun's exec fifo without running
 * {@code crun start}. crun itself cannot run on the build host (hybrid cgroups; it runs in the
 * guest, where GuestPodTest drives it), so crun's side is played by what crun leaves: the fifo in
 * the state directory, and an init that holds its reading end and waits for one byte. The binary
 * named {@code crun} only records calls, so a test fails if the runtime is spawned.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class CrunReleaseTest {

    @TempDir
    Path dir;

    private Reaper reaper;
    private PosixSpawner spawner;
    private Runc crun;
    private Path calls;
    private Path state;

    @BeforeEach
    void setUp() throws IOException {
        reaper = Reaper.start();
        spawner = new PosixSpawner(reaper);
        calls = dir.resolve("calls");
        Path bin = Files.createDirectories(dir.resolve("bin")).resolve("crun");
        Files.writeString(bin, "#!/bin/sh\necho \"$*\" >> " + calls + "\n");
        Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
        state = dir.resolve("state");
        crun = new Runc(spawner, new CommandRunner(spawner), bin, state, Duration.ofSeconds(30));
    }

    @AfterEach
    void tearDown() throws IOException {
        reaper.close();
    }

    /** What {@code crun create} leaves: {@code <root>/<id>/exec.fifo}. */
    private Path fifo(String id) throws Exception {
        Path fifo = Files.createDirectories(state.resolve(id)).resolve("exec.fifo");
        SpawnedProcess mkfifo = spawner.spawn(SpawnSpec.of("mkfifo", "-m", "600", fifo.toString()));
        assertEquals(0, mkfifo.exit().get(30, TimeUnit.SECONDS).kataCode());
        return fifo;
    }

    /**
     * crun's init at the end of its setup: holds the fifo's reading end, then waits for one byte,
     * which it writes to {@code got} (one process, so killing it leaves no reader behind). Spawned
     * through the agent's spawner: java.lang.Process must not run beside a {@link Reaper}.
     */
    private SpawnedProcess waitingInit(Path fifo) throws IOException {
        SpawnedProcess init = spawner.spawn(SpawnSpec.of("sh", "-c",
                        "exec 3<>\"$1\"; echo holding; exec dd bs=1 count=1 of=\"$2\" <&3 2>/dev/null",
                        "init", fifo.toString(), got(fifo).toString())
                .withStdio(Stdio.NULL, Stdio.PIPE, Stdio.NULL));
        BufferedReader out = new BufferedReader(new InputStreamReader(init.stdout(), StandardCharsets.UTF_8));
        assertEquals("holding", out.readLine());
        return init;
    }

    private static Path got(Path fifo) {
        return fifo.getParent().resolveSibling(fifo.getParent().getFileName() + ".got");
    }

    /** What the init read, once it has exited. */
    private static byte[] received(SpawnedProcess init, Path fifo) throws Exception {
        assertEquals(0, init.exit().get(30, TimeUnit.SECONDS).kataCode());
        init.closeStreams();
        return Files.readAllBytes(got(fifo));
    }

    @Test
    void startWritesOneNulByteRemovesTheFifoAndSpawnsNoCrun() throws Exception {
        assertTrue(crun.releasesItself());
        Path fifo = fifo("c1");
        SpawnedProcess init = waitingInit(fifo);
        crun.start("c1", init.pid(), init.exit()::isDone, false);
        assertArrayEquals(new byte[] {0}, received(init, fifo), "the init got crun's byte");
        assertFalse(Files.exists(fifo), "the fifo's absence is what crun reads as running");
        assertFalse(Files.exists(calls), "crun was spawned");
    }

    @Test
    void aSecondStartFailsAsStartedAlready() throws Exception {
        Path fifo = fifo("c2");
        SpawnedProcess init = waitingInit(fifo);
        crun.start("c2", init.pid(), init.exit()::isDone, false);
        received(init, fifo);
        IOException again = assertThrows(IOException.class, () -> crun.start("c2", init.pid(), () -> false, false));
        assertTrue(again.getMessage().contains("started already"), again.getMessage());
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void anInitThatDiedFailsTheStartAtOnceInsteadOfBlocking() throws Exception {
        Path fifo = fifo("c3");
        SpawnedProcess init = waitingInit(fifo);
        init.signal(9);
        init.exit().get(30, TimeUnit.SECONDS);
        init.closeStreams();
        // As if the reaper had not noticed yet: the fifo with no reader says it.
        IOException noReader = assertThrows(IOException.class, () -> crun.start("c3", init.pid(), () -> false, false));
        assertTrue(noReader.getMessage().contains("exited before it was started"), noReader.getMessage());
        // The reaper has: no open is tried.
        IOException reaped = assertThrows(IOException.class, () -> crun.start("c3", init.pid(), () -> true, false));
        assertTrue(reaped.getMessage().contains("exited before it was started"), reaped.getMessage());
        assertTrue(Files.exists(fifo), "a failed start leaves the container as it was");
    }

    @Test
    void somethingElseThanAFifoIsRefused() throws Exception {
        Files.createDirectories(state.resolve("c4"));
        Files.writeString(state.resolve("c4").resolve("exec.fifo"), "0");
        IOException notFifo = assertThrows(IOException.class, () -> crun.start("c4", 1, () -> false, false));
        assertTrue(notFifo.getMessage().contains("is no fifo"), notFifo.getMessage());
    }

    @Test
    void poststartHooksOrAnotherRuntimeRunTheRuntimesOwnStart() throws Exception {
        crun.start("h1", 4242, () -> false, true);
        Path other = Files.createDirectories(dir.resolve("other")).resolve("youki");
        Files.writeString(other, "#!/bin/sh\necho \"youki $*\" >> " + calls + "\n");
        Files.setPosixFilePermissions(other, PosixFilePermissions.fromString("rwxr-xr-x"));
        Runc youki = new Runc(spawner, new CommandRunner(spawner), other, state, Duration.ofSeconds(30));
        assertFalse(youki.releasesItself());
        youki.start("h2", 4242, () -> false, false);
        assertEquals(List.of("--root " + state + " start h1", "youki --root " + state + " start h2"),
                Files.readAllLines(calls));
    }
}
