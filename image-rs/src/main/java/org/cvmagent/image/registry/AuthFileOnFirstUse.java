package org.cvmagent.image.registry;

import java.io.IOException;
import java.util.Objects;
import java.util.Optional;

/**
 * An auth.json read the first time a registry asks for credentials, not when the agent starts:
 * one kept in the KBS ({@code authenticated_registry_credentials_uri = "kbs:///…"}) can only be
 * fetched once the guest has network and has attested. A failed read fails that pull as an
 * authentication error naming the location and is tried again next time; a read file is kept.
 */
public final class AuthFileOnFirstUse implements RegistryCredentials {

    /** Reads the auth.json bytes. */
    @FunctionalInterface
    public interface Loader {
        byte[] load() throws IOException;
    }

    private final LoadedOnSuccess<AuthFile, RegistryException> authFile;

    /** @param location where the file comes from, for error messages (never its content) */
    public AuthFileOnFirstUse(String location, Loader loader) {
        Objects.requireNonNull(location);
        Objects.requireNonNull(loader);
        this.authFile = new LoadedOnSuccess<>(() -> {
            try {
                return AuthFile.parse(loader.load());
            } catch (IOException e) {
                throw new RegistryException(RegistryException.Reason.AUTH, "registry credentials " + location
                        + " are unavailable: " + e.getMessage(), e);
            }
        });
    }

    @Override
    public Optional<Credentials> lookup(ImageReference reference) throws RegistryException {
        return authFile.get().lookup(reference);
    }
}
