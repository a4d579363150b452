package org.cvmagent.image.registry;

import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Bearer tokens per registry and scope, until shortly before they expire. */
final class TokenCache {
    private record Entry(String token, Instant expires) {
    }

    private final ConcurrentHashMap<String, Entry> tokens = new ConcurrentHashMap<>();
    private final Clock clock;

    TokenCache(Clock clock) {
        this.clock = clock;
    }

    Optional<String> get(String key) {
        Entry e = tokens.get(key);
        if (e == null || !clock.instant().isBefore(e.expires())) {
            return Optional.empty();
        }
        return Optional.of(e.token());
    }

    void put(String key, String token, long expiresInSeconds) {
        // A margin so a token is not sent in the instant it expires.
        long lifetime = Math.max(0, expiresInSeconds - 10);
        tokens.put(key, new Entry(token, clock.instant().plusSeconds(lifetime)));
    }

    void remove(String key) {
        tokens.remove(key);
    }
}
