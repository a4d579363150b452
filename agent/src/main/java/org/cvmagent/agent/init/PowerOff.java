package org.cvmagent.agent.init;

import java.io.IOException;

/**
 * Turns the guest off the way kata-agent does when it is the guest's init: flush file systems,
 * then reboot(2) with RB_POWER_OFF, so the VMM sees the VM stop (QEMU exits) instead of a kernel
 * panic about init exiting. Only PID 1 may do this; as a service the agent just exits.
 */
public final class PowerOff {

    private static final System.Logger LOG = System.getLogger("org.cvmagent.agent.init");

    private final PowerLibc libc;

    PowerOff(PowerLibc libc) {
        this.libc = libc;
    }

    public static PowerOff system() {
        return new PowerOff(PowerLibc.load());
    }

    /**
     * Syncs and powers off; returns only if the kernel refused (then the caller exits, and the
     * kernel panics, which {@code panic=-1} on the command line turns into a reset).
     */
    public IOException now() {
        LOG.log(System.Logger.Level.INFO, "powering the guest off");
        // The log line must reach the console before the machine stops.
        System.err.flush();
        libc.sync();
        try {
            libc.reboot(PowerLibc.RB_POWER_OFF);
            return new IOException("reboot(RB_POWER_OFF) returned");
        } catch (IOException e) {
            LOG.log(System.Logger.Level.ERROR, "cannot power off: " + e.getMessage());
            return e;
        }
    }
}
