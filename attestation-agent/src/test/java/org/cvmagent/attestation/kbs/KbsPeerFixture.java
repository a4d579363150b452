package org.cvmagent.attestation.kbs;

import java.time.Clock;

/** A running {@link KbsPeer} and a client for it, for tests outside this package. */
public final class KbsPeerFixture implements AutoCloseable {
    private final KbsPeer peer;
    private final KbsClients clients = new KbsClients();

    private KbsPeerFixture(KbsPeer peer) {
        this.peer = peer;
    }

    public static KbsPeerFixture start() throws Exception {
        return new KbsPeerFixture(KbsPeer.http());
    }

    /** The KBS's base URL, {@code http://127.0.0.1:PORT}. */
    public String url() {
        return peer.url();
    }

    public void putResource(String path, byte[] value) {
        peer.putResource(path, value);
    }

    public KbsClient client() throws KbsException {
        return clients.overHttp(peer, TeeKeyAlgorithm.DEFAULT, clients.sample(), Clock.systemUTC());
    }

    /** Forget all sessions and tokens, so the next resource request is refused with 401. */
    public void revokeEverything() {
        peer.revokeEverything();
    }

    /** The next {@code n} requests answer 503. */
    public void injectServerErrors(int n) {
        peer.serverErrorsToInject.set(n);
    }

    /** The last token and session cookie the peer issued: credentials a test checks never leak. */
    public String lastToken() {
        return peer.lastToken;
    }

    public String lastCookie() {
        return peer.lastCookie;
    }

    @Override
    public void close() {
        peer.close();
    }
}
