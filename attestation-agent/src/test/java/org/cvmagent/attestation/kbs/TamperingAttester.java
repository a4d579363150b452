package org.cvmagent.attestation.kbs;

import org.cvmagent.attestation.attester.Attester;
import org.cvmagent.attestation.attester.AttesterException;
import org.cvmagent.attestation.attester.TeeType;

/** An evidence source that lies: it signs report data with one bit flipped. */
final class TamperingAttester implements Attester {
    private final Attester honest;

    TamperingAttester(Attester honest) {
        this.honest = honest;
    }

    @Override
    public TeeType tee() {
        return honest.tee();
    }

    @Override
    public String evidence(byte[] reportData) throws AttesterException {
        byte[] tampered = reportData.clone();
        tampered[0] ^= 1;
        return honest.evidence(tampered);
    }
}
