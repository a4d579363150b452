package org.cvmagent.agent.cli;

import org.cvmagent.transport.Transports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code cvm-agent-ctl pull}'s command line, without a registry: help, usage errors, option order. */
class PullCommandTest {

    @TempDir
    Path dir;

    private final CtlRunner cli = new CtlRunner();

    private int ctl(String... args) {
        return cli.run(args);
    }

    private String out() {
        return cli.out();
    }

    private String err() {
        return cli.err();
    }

    @Test
    void helpPrintsUsageAndCreatesNothing() {
        Path store = dir.resolve("store");
        for (List<String> args : List.of(List.of("pull", "--help", "--store", store.toString()),
                List.of("pull", "example.com/app:1", "--store", store.toString(), "--help"),
                List.of("pull", "-h"))) {
            assertEquals(0, ctl(args.toArray(String[]::new)), args + ": " + err());
            assertTrue(out().startsWith("usage: cvm-agent-ctl pull IMAGE"), args + ": " + out());
            assertTrue(out().contains("--policy FILE"), out());
            assertEquals("", err(), args.toString());
            assertFalse(Files.exists(store), args + " created the store");
        }
    }

    @Test
    void usageErrorsCreateNothing() {
        Path store = dir.resolve("store");
        assertEquals(2, ctl("pull", "--store", store.toString()));
        assertTrue(err().contains("pull needs an IMAGE"), err());
        assertEquals(2, ctl("pull", "a.example/x:1", "b.example/y:1", "--store", store.toString()));
        assertTrue(err().contains("pull takes one IMAGE, got a.example/x:1 and b.example/y:1"), err());
        assertEquals(2, ctl("pull", "a.example/x:1", "--store", store.toString(), "--frobnicate", "1"));
        assertTrue(err().contains("unknown pull option --frobnicate"), err());
        assertEquals(2, ctl("pull", "a.example/x:1", "--store"));
        assertTrue(err().contains("--store needs a value"), err());
        assertFalse(Files.exists(store), "a usage error created the store");
    }

    @Test
    void optionsMayComeBeforeTheImage() throws Exception {
        PullArguments a = PullArguments.parse(new ArrayDeque<>(List.of("--store", "/s", "--insecure",
                "127.0.0.1:5000", "127.0.0.1:5000/app:1")));
        assertFalse(a.help());
        assertEquals("127.0.0.1:5000/app:1", a.image());
        assertEquals(Path.of("/s"), a.store());
        assertEquals(Set.of("127.0.0.1:5000"), a.insecure());
    }
}
