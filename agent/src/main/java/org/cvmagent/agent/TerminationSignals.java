package org.cvmagent.agent;

import sun.misc.Signal;

/**
 * Turns SIGTERM and SIGINT into a call of ours instead of the JVM's default exit with status 143,
 * so the agent drains its calls and exits 0 — what systemd and the tests expect of a clean stop.
 */
final class TerminationSignals {

    private TerminationSignals() {
    }

    static void onTermination(Runnable action) {
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> action.run());
        }
    }
}
