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
    void theSummarySplitsTheResidentSetIntoAnonymousFileAndSharedMemory() throws Exception {
        Path status = dir.resolve("status");
        Files.writeString(status, "VmRSS:\t   82440 kB\nRssAnon:\t   30000 kB\nRssFile:\t   52000 kB\n"
                + "RssShmem:\t     440 kB\n");
        assertEquals("rss 82440 KiB (anon 30000, file 52000, shmem 440 KiB)", new ResidentMemory(status).summary());
        Files.writeString(status, "VmRSS:\t   82440 kB\n");
        assertEquals("rss 82440 KiB", new ResidentMemory(status).summary());
        Files.writeString(status, "Name:\tkthreadd\n");
        assertEquals("rss unknown", new ResidentMemory(status).summary());
    }

    @Test
    void thisProcessHasAResidentSet() throws Exception {
        assertTrue(ResidentMemory.self().kib().orElseThrow() > 0);
    }
}
