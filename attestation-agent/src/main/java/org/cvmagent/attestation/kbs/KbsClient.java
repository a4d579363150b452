package org.cvmagent.attestation.kbs;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.System.Logger.Level;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import org.cvmagent.attestation.attester.Attester;

/**
 * A client of Trustee's KBS, per {@code kbs/docs/kbs_attestation_protocol.md}: attestation
 * tokens and resources, attesting with an {@link RcarHandshake} when needed.
 *
 * <p>The attested session (cookie, token, TEE key) is reused until the token's {@code exp}; a 401
 * on a resource request triggers one fresh handshake. Only resource paths and sizes are logged:
 * never resource bytes, tokens, cookies or keys.
 *
 * <p>Thread-safe: operations are serialised, so concurrent callers share one handshake.
 */
public final class KbsClient {
    private static final System.Logger LOG = System.getLogger(KbsClient.class.getName());

    private final KbsTransport transport;
    private final RcarHandshake handshake;
    private final Clock clock;
    private final ReentrantLock lock = new ReentrantLock();
    private AttestedSession session;

    /**
     * @param initDataToml the CoCo init-data TOML to send as {@code init-data}, if the guest has
     *     one (the KBS then checks it against the TEE's measurement of it)
     */
    public KbsClient(KbsConfig config, Attester attester, HttpClient http, ObjectMapper json, Clock clock,
            RetryPolicy retry, Optional<String> initDataToml) {
        this.transport = new KbsTransport(config, http, json, retry);
        this.handshake = new RcarHandshake(transport, attester, json, initDataToml);
        this.clock = Objects.requireNonNull(clock);
    }

    /** The KBS this client talks to. */
    public KbsConfig config() {
        return transport.config();
    }

    /** A valid attestation token, attesting first when none is cached or it has expired. */
    public AttestationToken token() throws KbsException {
        lock.lock();
        try {
            return currentSession().token();
        } finally {
            lock.unlock();
        }
    }

    /** The plaintext of a resource, attesting first when needed. */
    public byte[] resource(ResourcePath path) throws KbsException {
        lock.lock();
        try {
            AttestedSession current = currentSession();
            for (int attempt = 1; ; attempt++) {
                HttpResponse<String> response = transport.get("/resource/" + path.path(), current.cookie(), current.token());
                switch (response.statusCode()) {
                    case 200 -> {
                        byte[] plaintext = current.key().decrypt(response.body());
                        LOG.log(Level.INFO, "fetched KBS resource {0} ({1} bytes)", path, plaintext.length);
                        return plaintext;
                    }
                    case 401 -> {
                        session = null;
                        if (attempt > 1) {
                            throw new KbsException(KbsException.Kind.UNAUTHORIZED, "the KBS refused resource " + path
                                    + " even after a fresh attestation: " + transport.problem(response));
                        }
                        // Sessions and tokens expire on the KBS's clock, not ours: attest again once.
                        LOG.log(Level.WARNING, "KBS answered 401 for resource {0}; attesting again", path);
                        current = currentSession();
                    }
                    case 403 -> throw new KbsException(KbsException.Kind.FORBIDDEN,
                            "the KBS policy does not release resource " + path + ": " + transport.problem(response));
                    case 404 -> throw new KbsException(KbsException.Kind.NOT_FOUND,
                            "the KBS has no resource " + path + ": " + transport.problem(response));
                    default -> throw new KbsException(KbsException.Kind.PROTOCOL, "GET resource " + path
                            + ": unexpected KBS status " + response.statusCode() + ": " + transport.problem(response));
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private AttestedSession currentSession() throws KbsException {
        if (session == null || !session.token().reusableAt(clock.instant())) {
            session = null;
            session = handshake.run();
        }
        return session;
    }
}
