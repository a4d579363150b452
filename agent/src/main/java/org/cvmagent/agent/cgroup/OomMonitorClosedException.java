package org.cvmagent.agent.cgroup;

import java.io.IOException;

/** {@link OomMonitor#next()} was waiting, or was called, after the monitor was closed. */
public final class OomMonitorClosedException extends IOException {

    public OomMonitorClosedException() {
        super("the OOM monitor is closed");
    }
}
