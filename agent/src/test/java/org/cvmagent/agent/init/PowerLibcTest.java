package org.cvmagent.agent.init;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Binding only: calling reboot(2) here would power the test machine off when run as root. */
class PowerLibcTest {

    @Test
    void bindsSyncAndReboot() {
        PowerLibc libc = PowerLibc.load();
        libc.sync();
        // glibc's <sys/reboot.h>: RB_POWER_OFF is LINUX_REBOOT_CMD_POWER_OFF.
        assertEquals(0x4321fedc, PowerLibc.RB_POWER_OFF);
    }
}
