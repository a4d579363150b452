package org.cvmagent.agent.process;

import org.cvmagent.transport.Libc;
import org.cvmagent.transport.NativeFd;
import org.cvmagent.transport.NativeFdInputStream;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PosixSpawnerTest {

    private static final List<String> PATH_ENV = List.of("PATH=/usr/bin:/bin");

    private Reaper reaper;
    private Spawner spawner;

    @BeforeEach
    void start() {
        reaper = Reaper.start();
        spawner = new PosixSpawner(reaper);
    }

    @AfterEach
    void stop() throws IOException {
        reaper.close();
    }

    private static ExitStatus exitOf(SpawnedProcess process) throws Exception {
        return process.exit().get(20, TimeUnit.SECONDS);
    }

    /** Reads the stream to its end on a platform thread. */
    private static CompletableFuture<byte[]> readAll(InputStream in) {
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        Thread.ofPlatform().start(() -> {
            try (in) {
                result.complete(in.readAllBytes());
            } catch (IOException e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    private String output(SpawnSpec spec) throws Exception {
        SpawnedProcess process = spawner.spawn(spec);
        byte[] out = readAll(process.stdout()).get(20, TimeUnit.SECONDS);
        assertEquals(new ExitStatus(0, 0), exitOf(process), () -> new String(out, StandardCharsets.UTF_8));
        return new String(out, StandardCharsets.UTF_8);
    }

    @Test
    void catEchoesOneMebibyteOfRandomBytesExactly() throws Exception {
        byte[] data = new byte[1024 * 1024];
        new Random(42).nextBytes(data);
        SpawnedProcess cat = spawner.spawn(SpawnSpec.of("/bin/cat").withStdio(Stdio.PIPE, Stdio.PIPE, Stdio.NULL));
        CompletableFuture<byte[]> echoed = readAll(cat.stdout());
        try (OutputStream in = cat.stdin()) {
            in.write(data);
        }
        assertArrayEquals(data, echoed.get(20, TimeUnit.SECONDS));
        assertEquals(new ExitStatus(0, 0), exitOf(cat));
    }

    @Test
    void exitCodeIsReported() throws Exception {
        ExitStatus status = exitOf(spawner.spawn(SpawnSpec.of("/bin/sh", "-c", "exit 3")));
        assertEquals(new ExitStatus(3, 0), status);
        assertEquals(3, status.kataCode());
    }

    @Test
    void sigkillIsReportedAsSignalNineAndKataCode137() throws Exception {
        SpawnedProcess sleep = spawner.spawn(SpawnSpec.of("/bin/sleep", "30"));
        assertTrue(sleep.signal(9));
        ExitStatus status = exitOf(sleep);
        assertEquals(new ExitStatus(0, 9), status);
        assertEquals(137, status.kataCode());
        assertFalse(sleep.signal(9), "a reaped child must not be signalled");
    }

    @Test
    void sigtermKillsAChildWithDefaultDisposition() throws Exception {
        SpawnedProcess sleep = spawner.spawn(SpawnSpec.of("/bin/sleep", "30"));
        assertTrue(sleep.signal(15));
        assertEquals(143, exitOf(sleep).kataCode());
    }

    @Test
    void childStartsWithEmptyMaskAndDefaultDispositions() throws Exception {
        String status = output(SpawnSpec.of("/bin/grep", "^Sig", "/proc/self/status"));
        assertTrue(status.contains("SigBlk:\t0000000000000000"), status);
        assertTrue(status.contains("SigIgn:\t0000000000000000"), status);
    }

    @Test
    void environmentIsExactlyWhatIsGiven() throws Exception {
        String env = output(SpawnSpec.of("/usr/bin/env").withEnv(List.of("A=1", "B=two words")));
        assertEquals("A=1\nB=two words\n", env);
    }

    @Test
    void bareNameIsFoundInTheChildsPath() throws Exception {
        assertEquals("hi\n", output(SpawnSpec.of("echo", "hi").withEnv(PATH_ENV)));
        IOException missing = assertThrows(IOException.class,
                () -> spawner.spawn(SpawnSpec.of("no-such-program-here").withEnv(PATH_ENV)));
        assertTrue(missing.getMessage().contains("not found in PATH /usr/bin:/bin"), missing.getMessage());
    }

    @Test
    void missingProgramFailsWithErrnoText() {
        IOException e = assertThrows(IOException.class, () -> spawner.spawn(SpawnSpec.of("/nonexistent/prog")));
        assertTrue(e.getMessage().contains("No such file or directory"), e.getMessage());
    }

    @Test
    void workingDirectoryIsHonoured(@TempDir Path dir) throws Exception {
        assertEquals(dir.toRealPath() + "\n", output(SpawnSpec.of("/bin/pwd").withCwd(dir)));
        IOException e = assertThrows(IOException.class,
                () -> spawner.spawn(SpawnSpec.of("/bin/pwd").withCwd(dir.resolve("missing"))));
        assertTrue(e.getMessage().contains("No such file or directory"), e.getMessage());
    }

    @Test
    void onlyStandardFdsReachTheChild() throws Exception {
        ProcessLibc libc = reaper.libc();
        int[] leaky = new int[2];
        // A pipe without O_CLOEXEC, as careless native code might open one: it must not leak either.
        assertEquals(0, libc.pipe2(leaky, 0));
        try {
            String listing = output(SpawnSpec.of("/bin/ls", "/proc/self/fd"));
            // ls itself has the directory it lists open as fd 3.
            List<String> fds = Arrays.asList(listing.trim().split("\\s+"));
            assertEquals(List.of("0", "1", "2", "3"), fds, listing);
        } finally {
            libc.close(leaky[0]);
            libc.close(leaky[1]);
        }
    }

    @Test
    void existingFdAndDevNullAreWired() throws Exception {
        ProcessLibc libc = reaper.libc();
        int[] pipe = new int[2];
        assertEquals(0, libc.pipe2(pipe, ProcessLibc.O_CLOEXEC));
        int flags = libc.fcntl(pipe[0], ProcessLibc.F_GETFL, 0);
        assertEquals(0, libc.fcntl(pipe[0], ProcessLibc.F_SETFL, flags | ProcessLibc.O_NONBLOCK));
        NativeFd readEnd = NativeFd.adopt(Libc.load(), pipe[0], false, "test pipe", () -> { });
        try {
            SpawnedProcess p = spawner.spawn(SpawnSpec.of("/bin/sh", "-c", "echo to-fd; cat; echo err >&2")
                    .withStdio(Stdio.NULL, Stdio.fd(pipe[1]), Stdio.NULL));
            libc.close(pipe[1]);
            byte[] out = readAll(new NativeFdInputStream(readEnd)).get(20, TimeUnit.SECONDS);
            assertEquals("to-fd\n", new String(out, StandardCharsets.UTF_8));
            assertEquals(0, exitOf(p).exitCode());
        } finally {
            readEnd.close();
        }
    }

    @Test
    void newSessionMakesTheChildASessionLeader() throws Exception {
        String sid = output(SpawnSpec.of("/bin/sh", "-c", "echo $$ $(ps -o sid= -p $$)").withEnv(PATH_ENV)
                .withNewSession(true));
        String[] parts = sid.trim().split("\\s+");
        assertEquals(parts[0], parts[1], sid);
    }

    @Test
    void manyConcurrentSpawnsEachGetTheirOwnExitCode() throws Exception {
        List<CompletableFuture<Void>> checks = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            int code = i % 256;
            CompletableFuture<Void> check = new CompletableFuture<>();
            checks.add(check);
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    SpawnedProcess p = spawner.spawn(SpawnSpec.of("/bin/sh", "-c", "exit " + code)
                            .withStdio(Stdio.NULL, Stdio.NULL, Stdio.NULL));
                    ExitStatus status = exitOf(p);
                    if (status.exitCode() != code) {
                        throw new AssertionError("pid " + p.pid() + " expected " + code + " got " + status);
                    }
                    check.complete(null);
                } catch (Throwable t) {
                    check.completeExceptionally(t);
                }
            }));
        }
        for (CompletableFuture<Void> check : checks) {
            check.get(60, TimeUnit.SECONDS);
        }
        for (Thread thread : threads) {
            thread.join();
        }
    }

    @Test
    void streamOfANonPipeIsAnError() throws Exception {
        SpawnedProcess p = spawner.spawn(SpawnSpec.of("/bin/true").withStdio(Stdio.NULL, Stdio.NULL, Stdio.NULL));
        assertThrows(IllegalStateException.class, p::stdout);
        assertEquals(0, exitOf(p).exitCode());
    }

    @Test
    void closingAStreamWakesABlockedReader() throws Exception {
        SpawnedProcess sleep = spawner.spawn(SpawnSpec.of("/bin/sleep", "30"));
        InputStream out = sleep.stdout();
        CompletableFuture<byte[]> reading = readAll(out);
        Thread.sleep(100);
        out.close();
        assertThrows(java.util.concurrent.ExecutionException.class, () -> reading.get(10, TimeUnit.SECONDS));
        sleep.signal(9);
        assertEquals(9, exitOf(sleep).signal());
    }

    @Test
    void spawnAfterCloseFails() throws Exception {
        reaper.close();
        assertThrows(IOException.class, () -> spawner.spawn(SpawnSpec.of("/bin/true")));
    }
}
