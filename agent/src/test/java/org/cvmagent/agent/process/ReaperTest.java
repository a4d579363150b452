package org.cvmagent.agent.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReaperTest {

    private Reaper reaper;
    private Spawner spawner;

    @BeforeEach
    void start() throws IOException {
        reaper = Reaper.start();
        reaper.becomeSubreaper();
        spawner = new PosixSpawner(reaper);
    }

    @AfterEach
    void stop() throws IOException {
        reaper.close();
    }

    @Test
    void orphanIsReapedAndExpectRoutesItsExit() throws Exception {
        SpawnedProcess sh = spawner.spawn(SpawnSpec.of("/bin/sh", "-c", "/bin/sleep 0.3 & echo $!; exit 0")
                .withStdio(Stdio.NULL, Stdio.PIPE, Stdio.NULL));
        String line;
        try (var out = sh.stdout()) {
            // The orphan inherits the pipe: read only the line, not to EOF.
            line = new String(readLine(out), StandardCharsets.UTF_8).trim();
        }
        long orphan = Long.parseLong(line);
        assertEquals(new ExitStatus(0, 0), sh.exit().get(20, TimeUnit.SECONDS));
        assertEquals(new ExitStatus(0, 0), reaper.expect(orphan).get(20, TimeUnit.SECONDS));
        List<String> zombies = zombieChildren();
        assertTrue(zombies.isEmpty(), () -> "zombies: " + zombies);
    }

    @Test
    void expectAfterTheOrphanExitedStillGetsIt() throws Exception {
        SpawnedProcess sh = spawner.spawn(SpawnSpec.of("/bin/sh", "-c", "/bin/sh -c '/bin/sleep 0.2; exit 7' & echo $!; exit 0")
                .withStdio(Stdio.NULL, Stdio.PIPE, Stdio.NULL));
        long orphan;
        try (var out = sh.stdout()) {
            orphan = Long.parseLong(new String(out.readAllBytes(), StandardCharsets.UTF_8).trim());
        }
        sh.exit().get(20, TimeUnit.SECONDS);
        // Give the reaper time to collect the orphan before anyone expects it.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (Files.exists(Path.of("/proc", Long.toString(orphan))) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(new ExitStatus(7, 0), reaper.expect(orphan).get(20, TimeUnit.SECONDS));
    }

    @Test
    void anExitCollectedBeforeRegistrationIsRoutedAfterIt() throws Exception {
        // A running child keeps the reaper blocked in waitid, where it sees the next exit at once.
        SpawnedProcess keeper = spawner.spawn(SpawnSpec.of("/bin/sleep", "30")
                .withStdio(Stdio.NULL, Stdio.NULL, Stdio.NULL));
        NativeSpawn spawn = new NativeSpawn(reaper.libc());
        int[] silent = {NativeSpawn.DEV_NULL, NativeSpawn.DEV_NULL, NativeSpawn.DEV_NULL};
        int[] pid = new int[1];
        var exit = reaper.createAndRegister(() -> {
            int child = spawn.spawn("/bin/sh", List.of("/bin/sh", "-c", "exit 5"), List.of(), null, silent, false);
            // Let the child exit and the reaper see it before the registration is done.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!isZombie(child) && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertTrue(isZombie(child), "child " + child + " did not exit in time");
            // The reaper's waitid has returned by now and it waits for the lock this factory runs under.
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
            return child;
        }, pid);
        assertEquals(new ExitStatus(5, 0), exit.get(20, TimeUnit.SECONDS));
        keeper.signal(9);
        assertEquals(9, keeper.exit().get(20, TimeUnit.SECONDS).signal());
    }

    private static boolean isZombie(int pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (IOException e) {
            throw new AssertionError("cannot read the state of " + pid, e);
        }
    }

    @Test
    void expectOfAPidThatIsNoChildFails() {
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> reaper.expect(1).get(5, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("not a child of the agent"), e.getCause().getMessage());
    }

    @Test
    void closeStopsTheThreadWhileChildrenRunAndWhenThereAreNone() throws Exception {
        Reaper idle = Reaper.start();
        idle.close();
        Reaper busy = Reaper.start();
        SpawnedProcess sleep = new PosixSpawner(busy).spawn(SpawnSpec.of("/bin/sleep", "0.5")
                .withStdio(Stdio.NULL, Stdio.NULL, Stdio.NULL));
        busy.close();
        assertTrue(sleep.pid() > 0);
    }

    private static byte[] readLine(java.io.InputStream in) throws IOException {
        java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            line.write(b);
        }
        return line.toByteArray();
    }

    /** Pids in state Z whose parent is this JVM. */
    private static List<String> zombieChildren() throws IOException {
        String self = Long.toString(ProcessHandle.current().pid());
        List<String> zombies = new ArrayList<>();
        try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
            for (Path entry : entries.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                String stat;
                try {
                    stat = Files.readString(entry.resolve("stat"));
                } catch (IOException gone) {
                    continue; // the process exited while we listed /proc
                }
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                if (fields[0].equals("Z") && fields[1].equals(self)) {
                    zombies.add(entry.getFileName().toString());
                }
            }
        }
        return zombies;
    }
}
