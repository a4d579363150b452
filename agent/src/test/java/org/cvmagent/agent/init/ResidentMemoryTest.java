package org.cvmagent.agent.init;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ResidentMemoryTest {

    @TempDir
    Path dir;

    @Test
    void readsVmRssInKib() throws Exception {
        Path status = dir.resolve("status");
        Files.writeString(status, "Name:\tjava\nVmPeak:\t 4000 kB\nVmRSS:\t   82440 kB\nThreads:\t20\n");
        assertEquals(OptionalLong.of(82440), new ResidentMemory(status).kib());
    }

    @Test
    void noVmRssLineIsEmpty() throws Exception {
        Path status = dir.resolve("status");
        Files.writeString(status, "Name:\tkthreadd\nThreads:\t1\n");
        assertEquals(OptionalLong.empty(), new ResidentMemory(status).kib());
    }

    @Test
    void thisProcessHasAResidentSet() throws Exception {
        assertTrue(ResidentMemory.self().kib().orElseThrow() > 0);
    }
}
