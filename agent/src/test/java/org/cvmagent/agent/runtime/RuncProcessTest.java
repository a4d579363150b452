package org.cvmagent.agent.runtime;

import org.cvmagent.agent.process.CommandRunner;
import org.cvmagent.agent.process.ExitStatus;
import org.cvmagent.agent.process.PosixSpawner;
import org.cvmagent.agent.process.Reaper;
import org.cvmagent.agent.process.Stdio;
import org.cvmagent.agent.tty.ConsoleSocket;
import org.cvmagent.agent.tty.PtyMaster;
import org.cvmagent.agent.tty.WindowSize;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * runc exec (pipes and tty), create with a terminal, update and ps, with real runc on a
 * busybox-static rootfs; every child through our spawner and reaper, the agent a subreaper.
 */
// A separate thread, so that a read blocked in a native call still ends the test at the timeout.
@Timeout(value = 2, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RuncProcessTest {

    private static final Duration TERMINAL_WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private Reaper reaper;
    private Runc runc;
    private BusyboxBundles bundles;

    @BeforeEach
    void setUp() throws IOException {
        reaper = Reaper.start();
        reaper.becomeSubreaper();
        PosixSpawner spawner = new PosixSpawner(reaper);
        runc = new Runc(spawner, new CommandRunner(spawner), Path.of("/usr/sbin/runc"), dir.resolve("state"),
                Duration.ofSeconds(30));
        bundles = new BusyboxBundles(dir);
    }

    @AfterEach
    void tearDown() throws IOException {
        reaper.close();
    }

    /** A started container whose init sleeps, to exec into. */
    private CreatedContainer sleeping(String id) throws IOException {
        CreatedContainer c = runc.create(id, bundles.bundle("sleep 60"), Stdio.NULL, Stdio.NULL, Stdio.NULL);
        runc.start(id);
        return c;
    }

    private void remove(String id) throws IOException {
        runc.delete(id, true);
    }

    @Test
    void execWithPipes() throws Exception {
        sleeping("e1");
        try {
            ExecedProcess p = runc.exec("e1", bundles.process("p1", false,
                    List.of("/bin/sh", "-c", "echo out; echo err >&2; read line; echo got $line; exit 5")),
                    Stdio.PIPE, Stdio.PIPE, Stdio.PIPE);
            CompletableFuture<ExitStatus> exit = reaper.expect(p.pid());
            assertEquals("e1", p.containerId());
            try (OutputStream in = p.stdio().stdin()) {
                in.write("abc\n".getBytes(StandardCharsets.UTF_8));
            }
            assertEquals("out\ngot abc\n", new String(p.stdio().stdout().readAllBytes(), StandardCharsets.UTF_8));
            assertEquals("err\n", new String(p.stdio().stderr().readAllBytes(), StandardCharsets.UTF_8));
            assertEquals(5, exit.get(30, TimeUnit.SECONDS).kataCode());
            p.stdio().closeStreams();
            assertEquals(List.of(), leftovers(), "exec's pid and log files are removed");
        } finally {
            remove("e1");
        }
    }

    @Test
    void psListsEveryProcessAndKillAllEndsThem() throws Exception {
        CreatedContainer c = sleeping("e2");
        try {
            CompletableFuture<ExitStatus> init = reaper.expect(c.initPid());
            ExecedProcess p = runc.exec("e2", bundles.process("p2", false, List.of("/bin/sleep", "60")),
                    Stdio.NULL, Stdio.NULL, Stdio.NULL);
            CompletableFuture<ExitStatus> exec = reaper.expect(p.pid());
            List<Long> pids = runc.ps("e2");
            assertEquals(2, pids.size(), pids.toString());
            assertTrue(pids.contains(c.initPid()) && pids.contains(p.pid()), pids + " has init and exec");
            runc.kill("e2", 9, true);
            assertEquals(9, init.get(30, TimeUnit.SECONDS).signal());
            assertEquals(9, exec.get(30, TimeUnit.SECONDS).signal());
        } finally {
            remove("e2");
        }
    }

    @Test
    void execWithATerminal() throws Exception {
        sleeping("e3");
        try (ConsoleSocket socket = ConsoleSocket.listen(dir.resolve("sockets/e3.sock"))) {
            ExecedProcess p = runc.exec("e3", bundles.process("p3", true, List.of("/bin/sh")), socket.path());
            CompletableFuture<ExitStatus> exit = reaper.expect(p.pid());
            try (PtyMaster master = socket.receiveMaster(TERMINAL_WAIT)) {
                master.resize(new WindowSize(30, 100));
                assertEquals(new WindowSize(30, 100), master.size());
                // The terminal echoes the input, so the checks look for what only the output has.
                master.output().write("stty size; echo $((40+2)); exit 3\n".getBytes(StandardCharsets.UTF_8));
                String out = new String(master.input().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(out.contains("30 100\r\n"), out);
                assertTrue(out.contains("42\r\n"), out);
            }
            assertEquals(3, exit.get(30, TimeUnit.SECONDS).kataCode());
        } finally {
            remove("e3");
        }
    }

    @Test
    void createWithATerminal() throws Exception {
        Path bundle = bundles.bundle("stty size; echo hello from a tty; exit 4", true);
        try (ConsoleSocket socket = ConsoleSocket.listen(dir.resolve("sockets/c4.sock"))) {
            CreatedContainer c = runc.create("c4", bundle, socket.path());
            CompletableFuture<ExitStatus> exit = reaper.expect(c.initPid());
            try (PtyMaster master = socket.receiveMaster(TERMINAL_WAIT)) {
                master.resize(25, 90);
                runc.start("c4");
                String out = new String(master.input().readAllBytes(), StandardCharsets.UTF_8);
                assertEquals("25 90\r\nhello from a tty\r\n", out);
            }
            assertEquals(4, exit.get(30, TimeUnit.SECONDS).kataCode());
            runc.delete("c4", false);
        }
    }

    @Test
    void updateSetsTheMemoryLimit() throws Exception {
        CreatedContainer c = sleeping("e5");
        try {
            runc.update("e5", "{\"memory\":{\"limit\":67108864}}");
            assertEquals("67108864", Files.readString(memoryCgroup(c.initPid()).resolve("memory.limit_in_bytes")).trim());
            assertEquals(List.of(), leftovers(), "the resources file is removed");
            IOException e = assertThrows(IOException.class, () -> runc.update("e5", "{\"memory\":"));
            // runc's own words about the truncated JSON come along.
            assertTrue(e.getMessage().contains("runc update --resources") && e.getMessage().contains("EOF"),
                    e.getMessage());
        } finally {
            remove("e5");
        }
    }

    @Test
    void failuresCarryRuncsOwnMessage() throws Exception {
        IOException e = assertThrows(IOException.class, () -> runc.exec("nosuch",
                bundles.process("p6", false, List.of("/bin/true")), Stdio.NULL, Stdio.NULL, Stdio.NULL));
        assertTrue(e.getMessage().contains("runc exec in nosuch failed") && e.getMessage().contains("nosuch"),
                e.getMessage());
        assertEquals(List.of(), leftovers(), "a failed exec leaves no files");
        IOException ps = assertThrows(IOException.class, () -> runc.ps("nosuch"));
        assertTrue(ps.getMessage().contains("runc ps --format json nosuch failed"), ps.getMessage());
        assertThrows(IllegalArgumentException.class, () -> runc.update("../x", "{}"));
        assertThrows(IllegalArgumentException.class,
                () -> runc.exec("../x", dir.resolve("p.json"), Stdio.NULL, Stdio.NULL, Stdio.NULL));
    }

    /** The v1 memory cgroup directory of {@code pid} (this host has hybrid cgroups). */
    private static Path memoryCgroup(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/cgroup"))) {
            String[] fields = line.split(":", 3);
            if (List.of(fields[1].split(",")).contains("memory")) {
                return Path.of("/sys/fs/cgroup/memory" + fields[2]);
            }
        }
        throw new IOException("process " + pid + " is in no v1 memory cgroup");
    }

    /** Files in runc's state directory that are ours rather than runc's (exec pid/log, update resources). */
    private List<Path> leftovers() throws IOException {
        Path state = dir.resolve("state");
        if (!Files.isDirectory(state)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(state)) {
            return files.filter(f -> f.getFileName().toString().matches(".*\\.(exec|update)-.*")).toList();
        }
    }
}
