package org.cvmagent.image.registry;

import java.util.Objects;

/**
 * A value loaded when it is first needed and kept once a load succeeds; a failed load is tried
 * again the next time. Configuration kept in the KBS is loaded this way: it is reachable only
 * after the guest has network and has attested, which may not be so at the first attempt.
 */
public final class LoadedOnSuccess<T, E extends Exception> {

    /** Loads the value; never returns null. */
    @FunctionalInterface
    public interface Loader<T, E extends Exception> {
        T load() throws E;
    }

    private final Loader<T, E> loader;
    private T value; // guarded by this

    public LoadedOnSuccess(Loader<T, E> loader) {
        this.loader = Objects.requireNonNull(loader);
    }

    public synchronized T get() throws E {
        if (value == null) {
            value = Objects.requireNonNull(loader.load(), "loaded value");
        }
        return value;
    }
}
