package org.cvmagent.attestation.kbs;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.cvmagent.attestation.attester.Attester;
import org.cvmagent.attestation.attester.SampleAttester;

/** Builds real clients against a {@link KbsPeer}, recording retry waits instead of sleeping. */
final class KbsClients {
    final List<Duration> sleeps = new CopyOnWriteArrayList<>();
    final ObjectMapper json = new ObjectMapper();

    RetryPolicy retry() {
        return new RetryPolicy(3, Duration.ofMillis(100), Duration.ofSeconds(1), sleeps::add);
    }

    Attester sample() {
        return new SampleAttester(json);
    }

    KbsClient overHttp(KbsPeer peer, TeeKeyAlgorithm algorithm, Attester attester, Clock clock) throws KbsException {
        KbsConfig config = new KbsConfig(URI.create(peer.url()), Optional.empty(), algorithm, true);
        return new KbsClient(config, attester, new KbsHttpClientFactory(Duration.ofSeconds(5)).create(config), json, clock,
                retry(), Optional.empty());
    }

    KbsClient overHttp(KbsPeer peer) throws KbsException {
        return overHttp(peer, TeeKeyAlgorithm.DEFAULT, sample(), Clock.systemUTC());
    }
}
