package org.cvmagent.agent.runtime;

import org.cvmagent.agent.oci.OciSpecTranslator;
import org.cvmagent.agent.process.CommandRunner;
import org.cvmagent.agent.process.ExitStatus;
import org.cvmagent.agent.process.PosixSpawner;
import org.cvmagent.agent.process.Reaper;
import org.cvmagent.agent.process.Stdio;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Real runc (Debian's, installed by scripts/setup) on a busybox-static rootfs, with config.json
 * made by {@link OciSpecTranslator} from a kata Spec, every child through our spawner and reaper.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class RuncTest {

    @TempDir
    Path dir;

    private Reaper reaper;
    private Runc runc;

    @BeforeEach
    void setUp() throws IOException {
        reaper = Reaper.start();
        reaper.becomeSubreaper();
        PosixSpawner spawner = new PosixSpawner(reaper);
        runc = new Runc(spawner, new CommandRunner(spawner), Path.of("/usr/sbin/runc"), dir.resolve("state"),
                Duration.ofSeconds(30));
    }

    @AfterEach
    void tearDown() throws IOException {
        reaper.close();
    }

    private Path bundle(String script) throws IOException {
        return new BusyboxBundles(dir).bundle(script);
    }

    @Test
    void containerRunsWithItsOutputAndExitCode() throws Exception {
        CreatedContainer c = runc.create("c1", bundle("echo hello from the container; echo oops >&2; exit 7"),
                Stdio.NULL, Stdio.PIPE, Stdio.PIPE);
        CompletableFuture<ExitStatus> exit = reaper.expect(c.initPid());
        assertEquals("created", runc.state("c1").status());
        assertEquals(c.initPid(), runc.state("c1").pid());
        runc.start("c1");
        String out = new String(c.stdio().stdout().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(c.stdio().stderr().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals("hello from the container\n", out);
        assertEquals("oops\n", err);
        assertEquals(7, exit.get(30, TimeUnit.SECONDS).kataCode());
        assertEquals("stopped", runc.state("c1").status());
        runc.delete("c1", false);
        IOException gone = assertThrows(IOException.class, () -> runc.state("c1"));
        assertTrue(gone.getMessage().contains("runc state c1 failed"), gone.getMessage());
    }

    @Test
    void killPauseResumeAndForcedDelete() throws Exception {
        CreatedContainer c = runc.create("c2", bundle("sleep 60"), Stdio.NULL, Stdio.NULL, Stdio.NULL);
        CompletableFuture<ExitStatus> exit = reaper.expect(c.initPid());
        runc.start("c2");
        assertEquals("running", runc.state("c2").status());
        runc.pause("c2");
        assertEquals("paused", runc.state("c2").status());
        runc.resume("c2");
        assertEquals("running", runc.state("c2").status());
        runc.kill("c2", 9, false);
        ExitStatus status = exit.get(30, TimeUnit.SECONDS);
        assertEquals(9, status.signal());
        assertEquals(137, status.kataCode());
        runc.delete("c2", true);
    }

    @Test
    void failuresCarryRuncsOwnMessage() throws Exception {
        Path bundle = bundle("true");
        Files.delete(bundle.resolve("config.json"));
        IOException e = assertThrows(IOException.class,
                () -> runc.create("c3", bundle, Stdio.NULL, Stdio.NULL, Stdio.NULL));
        assertTrue(e.getMessage().contains("runc create c3 failed") && e.getMessage().contains("config.json"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> runc.create("../escape", bundle, Stdio.NULL, Stdio.NULL, Stdio.NULL));
        IOException unknown = assertThrows(IOException.class, () -> runc.start("nosuch"));
        assertTrue(unknown.getMessage().contains("runc start nosuch failed"), unknown.getMessage());
    }
    @Test
    void startWithoutRuncReleasesTheInitThroughItsFifo() throws Exception {
        assertTrue(runc.releasesItself());
        CreatedContainer c = runc.create("f1", bundle("echo released; exit 5"), Stdio.NULL, Stdio.PIPE, Stdio.NULL);
        CompletableFuture<ExitStatus> exit = reaper.expect(c.initPid());
        Path fifo = dir.resolve("state").resolve("f1").resolve("exec.fifo");
        assertTrue(Files.exists(fifo));
        runc.start("f1", c.initPid(), exit::isDone, false);
        assertTrue(Files.notExists(fifo));
        assertEquals("released\n", new String(c.stdio().stdout().readAllBytes(), StandardCharsets.UTF_8));
        assertEquals(5, exit.get(30, TimeUnit.SECONDS).kataCode());
        assertEquals("stopped", runc.state("f1").status());
        IOException again = assertThrows(IOException.class, () -> runc.start("f1", c.initPid(), exit::isDone, false));
        assertTrue(again.getMessage().contains("started already"), again.getMessage());
        runc.delete("f1", false);
    }

    @Test
    void startedWithoutRuncItIsRunningAndASecondStartFails() throws Exception {
        CreatedContainer c = runc.create("f2", bundle("sleep 60"), Stdio.NULL, Stdio.NULL, Stdio.NULL);
        CompletableFuture<ExitStatus> exit = reaper.expect(c.initPid());
        assertEquals("created", runc.state("f2").status());
        runc.start("f2", c.initPid(), exit::isDone, false);
        assertEquals("running", runc.state("f2").status());
        IOException again = assertThrows(IOException.class, () -> runc.start("f2", c.initPid(), exit::isDone, false));
        assertTrue(again.getMessage().contains("f2") && again.getMessage().contains("started already"),
                again.getMessage());
        // runc itself agrees the container is no longer waiting to be started.
        assertThrows(IOException.class, () -> runc.start("f2"));
        runc.kill("f2", 9, false);
        assertEquals(137, exit.get(30, TimeUnit.SECONDS).kataCode());
        runc.delete("f2", true);
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void startOfAContainerWhoseInitDiedFailsClearlyWithoutHanging() throws Exception {
        CreatedContainer c = runc.create("f3", bundle("true"), Stdio.NULL, Stdio.NULL, Stdio.NULL);
        CompletableFuture<ExitStatus> exit = reaper.expect(c.initPid());
        runc.kill("f3", 9, false);
        exit.get(30, TimeUnit.SECONDS);
        long begin = System.nanoTime();
        IOException dead = assertThrows(IOException.class, () -> runc.start("f3", c.initPid(), exit::isDone, false));
        assertTrue(dead.getMessage().contains("exited before it was started"), dead.getMessage());
        assertTrue(System.nanoTime() - begin < TimeUnit.SECONDS.toNanos(5), "took too long to notice");
        runc.delete("f3", true);
    }

    @Test
    void startRefusesAnIdThatIsNoSimpleName() {
        assertThrows(IllegalArgumentException.class, () -> runc.start("../f4", 1, () -> false, false));
        assertThrows(IllegalArgumentException.class, () -> runc.start("a/b", 1, () -> false, false));
    }

    @Test
    void poststartHooksStillRunTheRuntimesStart() throws Exception {
        PosixSpawner spawner = new PosixSpawner(reaper);
        Path calls = dir.resolve("calls");
        for (String name : new String[] {"crun", "runc"}) {
            Path bin = Files.createDirectories(dir.resolve("fake-" + name)).resolve(name);
            Files.writeString(bin, "#!/bin/sh\necho \"$0 $*\" >> " + calls + "\n");
            Files.setPosixFilePermissions(bin, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            Runc fake = new Runc(spawner, new CommandRunner(spawner), bin, dir.resolve("fake-state"),
                    Duration.ofSeconds(30));
            assertTrue(fake.releasesItself());
            // Both run their own start when there are poststart hooks (crun runs them there, as runc after 1.4).
            fake.start("x-" + name, 4242, () -> false, true);
        }
        assertEquals(java.util.List.of(
                        dir.resolve("fake-crun").resolve("crun") + " --root " + dir.resolve("fake-state") + " start x-crun",
                        dir.resolve("fake-runc").resolve("runc") + " --root " + dir.resolve("fake-state") + " start x-runc"),
                Files.readAllLines(calls));
    }
}
