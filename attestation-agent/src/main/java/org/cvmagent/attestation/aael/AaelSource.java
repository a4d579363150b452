package org.cvmagent.attestation.aael;

/** Where an attester gets the AAEL entries recorded so far, to append them to its evidence's event log. */
@FunctionalInterface
public interface AaelSource {
    /** No runtime event log is kept (CoCo's {@code enable_eventlog = false}). */
    AaelSource NONE = () -> new byte[0];

    /** The concatenated TCG2 entries, in the order they were extended. */
    byte[] entries();

    /**
     * Runs {@code action} while no event is being extended, so that registers read inside it (a
     * quote) and {@link #entries()} read inside it describe the same events; otherwise a quote
     * taken mid-extend would never replay. Without a log there is nothing to wait for.
     */
    default <T, E extends Exception> T stable(Action<T, E> action) throws E {
        return action.run();
    }

    /** Work done under {@link #stable}. */
    @FunctionalInterface
    interface Action<T, E extends Exception> {
        T run() throws E;
    }
}
