package org.cvmagent.agent.init;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SystemUptimeTest {

    @TempDir
    Path dir;

    @Test
    void theFirstFieldIsTheUptime() throws Exception {
        Path uptime = dir.resolve("uptime");
        Files.writeString(uptime, "24.39 40.12\n");
        assertEquals("24.39", new SystemUptime(uptime).seconds());
    }

    @Test
    void theRealFileHasAPositiveNumber() throws Exception {
        assertTrue(Double.parseDouble(SystemUptime.proc().seconds()) > 0);
    }
}
