package org.cvmagent.attestation.snp;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import org.cvmagent.attestation.EvidenceFormatException;
import org.cvmagent.attestation.LittleEndianReader;

/**
 * An AMD SEV-SNP attestation report (firmware ABI, 0x4A0 bytes): the guest's launch measurement,
 * policy, host data, report data and TCB versions, signed by the chip's VCEK (ECDSA P-384 over
 * the first 0x2A0 bytes; r and s little-endian in 72-byte fields).
 */
public record SnpReport(long version, long guestSvn, long policy, byte[] familyId, byte[] imageId, long vmpl,
        long signatureAlgorithm, long currentTcb, long platformInfo, byte[] reportData, byte[] measurement,
        byte[] hostData, byte[] idKeyDigest, byte[] authorKeyDigest, byte[] reportId, byte[] reportIdMa,
        long reportedTcb, byte[] chipId, long committedTcb, long launchTcb, byte[] signedBytes, byte[] signatureR,
        byte[] signatureS) {

    public static final int SIZE = 0x4A0;
    private static final int SIGNED = 0x2A0;
    private static final long ECDSA_P384_SHA384 = 1;

    public static SnpReport parse(byte[] report) throws EvidenceFormatException {
        if (report.length != SIZE) {
            throw new EvidenceFormatException("SNP report is " + report.length + " bytes, expected " + SIZE);
        }
        LittleEndianReader r = new LittleEndianReader(report, 0, "SNP report");
        long version = r.u32("version");
        long guestSvn = r.u32("guest_svn");
        long policy = r.u64("policy");
        byte[] familyId = r.bytes(16, "family_id");
        byte[] imageId = r.bytes(16, "image_id");
        long vmpl = r.u32("vmpl");
        long sigAlgo = r.u32("signature_algo");
        long currentTcb = r.u64("current_tcb");
        long platformInfo = r.u64("platform_info");
        r.u32("flags");
        r.u32("reserved");
        byte[] reportData = r.bytes(64, "report_data");
        byte[] measurement = r.bytes(48, "measurement");
        byte[] hostData = r.bytes(32, "host_data");
        byte[] idKeyDigest = r.bytes(48, "id_key_digest");
        byte[] authorKeyDigest = r.bytes(48, "author_key_digest");
        byte[] reportId = r.bytes(32, "report_id");
        byte[] reportIdMa = r.bytes(32, "report_id_ma");
        long reportedTcb = r.u64("reported_tcb");
        r.seek(0x1A0);
        byte[] chipId = r.bytes(64, "chip_id");
        long committedTcb = r.u64("committed_tcb");
        r.seek(0x1F0);
        long launchTcb = r.u64("launch_tcb");
        r.seek(SIGNED);
        byte[] sigR = r.bytes(72, "signature r");
        byte[] sigS = r.bytes(72, "signature s");
        return new SnpReport(version, guestSvn, policy, familyId, imageId, vmpl, sigAlgo, currentTcb, platformInfo,
                reportData, measurement, hostData, idKeyDigest, authorKeyDigest, reportId, reportIdMa, reportedTcb,
                chipId, committedTcb, launchTcb, Arrays.copyOf(report, SIGNED), sigR, sigS);
    }

    /** Whether the VCEK (or VLEK) certificate's key signed this report. */
    public boolean signedBy(X509Certificate vcek) throws EvidenceFormatException {
        if (signatureAlgorithm != ECDSA_P384_SHA384) {
            throw new EvidenceFormatException("SNP report: signature algorithm " + signatureAlgorithm
                    + " (only 1, ECDSA P-384 with SHA-384, is defined)");
        }
        try {
            Signature verifier = Signature.getInstance("SHA384withECDSAinP1363Format");
            verifier.initVerify(vcek.getPublicKey());
            verifier.update(signedBytes);
            byte[] p1363 = new byte[96];
            System.arraycopy(bigEndian48(signatureR), 0, p1363, 0, 48);
            System.arraycopy(bigEndian48(signatureS), 0, p1363, 48, 48);
            return verifier.verify(p1363);
        } catch (GeneralSecurityException e) {
            throw new EvidenceFormatException("SNP report: cannot verify with the VCEK: " + e.getMessage(), e);
        }
    }

    private static byte[] bigEndian48(byte[] littleEndian72) throws EvidenceFormatException {
        byte[] be = new byte[littleEndian72.length];
        for (int i = 0; i < be.length; i++) {
            be[i] = littleEndian72[littleEndian72.length - 1 - i];
        }
        BigInteger v = new BigInteger(1, be);
        if (v.bitLength() > 384) {
            throw new EvidenceFormatException("SNP report: signature component longer than 384 bits");
        }
        byte[] out = new byte[48];
        byte[] mag = v.toByteArray();
        int n = Math.min(mag.length, 48);
        System.arraycopy(mag, mag.length - n, out, 48 - n, n);
        return out;
    }
}
