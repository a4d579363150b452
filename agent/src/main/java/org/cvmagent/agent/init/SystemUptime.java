package org.cvmagent.agent.init;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Seconds since the kernel booted, from {@code /proc/uptime}: in the guest, logged when the agent
 * starts serving, it is the boot-to-serving time as the guest sees it.
 */
public final class SystemUptime {

    private final Path uptime;

    public SystemUptime(Path uptime) {
        this.uptime = uptime;
    }

    public static SystemUptime proc() {
        return new SystemUptime(Path.of("/proc/uptime"));
    }

    /** The first field of /proc/uptime as written ("12.34"). */
    public String seconds() throws IOException {
        String text = Files.readString(uptime).trim();
        int space = text.indexOf(' ');
        return space < 0 ? text : text.substring(0, space);
    }
}
