package org.cvmagent.attestation.aael;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.cvmagent.attestation.attester.InitDataBinding;
import org.cvmagent.attestation.attester.TeeMeasurements;
import org.cvmagent.attestation.eventlog.TcgAlgorithm;

/**
 * Four TDX RTMRs that extend as the TDX module does (RTMR = SHA-384(RTMR || data)), with CoCo's PCR
 * mapping; a stand-in for the tdx_guest measurements, for replay tests.
 */
public final class FakeRtmrs implements TeeMeasurements, InitDataBinding {
    private final byte[][] rtmr = {new byte[48], new byte[48], new byte[48], new byte[48]};
    private final List<String> extends_ = new ArrayList<>();
    private byte[] launchDigest = new byte[48];
    private boolean refuseExtends;

    /** Makes extends fail as a kernel without an extend interface does, leaving the registers alone. */
    public synchronized void refuseExtends(boolean refuse) {
        refuseExtends = refuse;
    }

    /** What a foreign writer (not through the log) does. */
    public synchronized void extendBehindTheLog(int index, byte[] data) {
        rtmr[index] = sha384(rtmr[index], Arrays.copyOf(data, 48));
    }

    public synchronized byte[] rtmr(int index) {
        return rtmr[index].clone();
    }

    public synchronized List<String> extendsDone() {
        return List.copyOf(extends_);
    }

    public synchronized void launchDigest(byte[] digest) {
        launchDigest = Arrays.copyOf(digest, 48);
    }

    @Override
    public synchronized void extendRuntimeMeasurement(byte[] digest, long pcrIndex) throws java.io.IOException {
        if (refuseExtends) {
            throw new java.io.IOException("no RTMR extend interface");
        }
        int i = (int) measurementRegister(pcrIndex) - 1;
        rtmr[i] = sha384(rtmr[i], Arrays.copyOf(digest, 48));
        extends_.add(pcrIndex + "->RTMR" + i);
    }

    @Override
    public synchronized byte[] runtimeMeasurement(long pcrIndex) {
        return rtmr[(int) measurementRegister(pcrIndex) - 1].clone();
    }

    @Override
    public long measurementRegister(long pcrIndex) {
        if (pcrIndex == 1 || pcrIndex == 7) {
            return 1;
        }
        if (pcrIndex >= 2 && pcrIndex <= 6) {
            return 2;
        }
        if (pcrIndex >= 8 && pcrIndex <= 15) {
            return 3;
        }
        return 4;
    }

    @Override
    public TcgAlgorithm eventLogAlgorithm() {
        return TcgAlgorithm.SHA384;
    }

    @Override
    public synchronized boolean initDataMatches(byte[] initDataDigest) {
        return MessageDigest.isEqual(Arrays.copyOf(initDataDigest, 48), launchDigest);
    }

    private static byte[] sha384(byte[] a, byte[] b) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-384");
            md.update(a);
            md.update(b);
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
