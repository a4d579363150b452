package org.cvmagent.agent.process;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CommandRunnerTest {

    private Reaper reaper;
    private CommandRunner runner;

    @BeforeEach
    void start() {
        reaper = Reaper.start();
        runner = new CommandRunner(new PosixSpawner(reaper));
    }

    @AfterEach
    void stop() throws IOException {
        reaper.close();
    }

    @Test
    void capturesOutputAndStatus() throws IOException {
        CommandResult result = runner.run(List.of("/bin/sh", "-c", "echo out; echo err >&2; exit 4"),
                List.of(), Duration.ofSeconds(20));
        assertEquals(new ExitStatus(4, 0), result.status());
        assertEquals("out\n", result.stdoutText());
        assertEquals("err\n", result.stderrText());
        assertFalse(result.succeeded());
    }

    @Test
    void outputBeyondTheLimitIsDiscardedWithoutBlockingTheCommand() throws IOException {
        CommandResult result = runner.run(List.of("/bin/sh", "-c", "head -c 3000000 /dev/zero"),
                List.of("PATH=/usr/bin:/bin"), Duration.ofSeconds(20));
        assertTrue(result.succeeded());
        assertEquals(CommandRunner.MAX_OUTPUT, result.stdout().length);
        assertTrue(result.stdoutTruncated());
        assertFalse(result.stderrTruncated());
    }

    @Test
    void timeoutKillsTheCommandAndNamesIt() {
        long start = System.nanoTime();
        CommandTimeoutException e = assertThrows(CommandTimeoutException.class,
                () -> runner.run(List.of("/bin/sleep", "30"), List.of(), Duration.ofMillis(300)));
        assertTrue(e.getMessage().contains("/bin/sleep 30"), e.getMessage());
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(10).toNanos());
    }

    @Test
    void aGrandchildHoldingThePipesDoesNotHoldUpTheResult() throws IOException {
        CommandResult result = runner.run(List.of("/bin/sh", "-c", "/bin/sleep 5 & echo started"),
                List.of(), Duration.ofSeconds(20));
        assertTrue(result.succeeded());
        assertEquals("started\n", result.stdoutText());
    }
}
