package org.cvmagent.image.registry;

import java.util.Optional;

/**
 * Where the registry client finds credentials when a registry asks for them (a 401 challenge):
 * an {@link AuthFile}, or one loaded only then, such as an auth.json kept in the KBS.
 */
@FunctionalInterface
public interface RegistryCredentials {

    /** Credentials for a repository, or empty when there are none for it. */
    Optional<Credentials> lookup(ImageReference reference) throws RegistryException;
}
